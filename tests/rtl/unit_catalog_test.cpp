// The unit catalog (rtl/units.json) and the Verilated units agree: every name round-trips, every catalog unit is
// verilated (X-macros) with the SV parameters its catalog fields give, its ports are as wide as its lanes, and a
// probe block shows the scale type the catalog names.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "formats/fixed_elem.hpp"
#include "rtl/models/oracle_reference.hpp"
#include "rtl/models/units.hpp"
#include "rtl/verilator/vdriver.hpp"

namespace mxlab::rtl {
namespace {

// What C++ can observe of a Verilated unit: its SV parameters as verilated and its port container sizes (bytes).
struct VerilatedUnit {
  std::string name;
  UnitKind kind;
  std::map<std::string, int> params;
  std::size_t a = 0, b = 0, acc = 0;  // in_a, in_b, out_acc (vq_mac: in_x, in_idx, out_acc)
  std::size_t xa = 0, alpha = 0;       // block_dot: in_xa, in_alpha
};

std::map<std::string, int> parse_params(const std::string& s) {  // "N=32 ELEM_A=4"
  std::map<std::string, int> m;
  std::istringstream in(s);
  for (std::string kv; in >> kv;) m[kv.substr(0, kv.find('='))] = std::stoi(kv.substr(kv.find('=') + 1));
  return m;
}

template <class Port>
constexpr std::size_t port_bytes = sizeof(std::remove_reference_t<Port>);

std::vector<VerilatedUnit> verilated_units() {
  std::vector<VerilatedUnit> v;
#define MXLAB_AB_UNIT(name, V, p, kind)                                                                      \
  v.push_back({#name, kind, parse_params(p), port_bytes<decltype(std::declval<V&>().in_a)>,                   \
               port_bytes<decltype(std::declval<V&>().in_b)>, port_bytes<decltype(std::declval<V&>().out_acc)>});
#define MXLAB_DOT_UNIT(name, V, p)                                                   \
  MXLAB_AB_UNIT(name, V, p, UnitKind::block_dot)                                     \
  v.back().xa = port_bytes<decltype(std::declval<V&>().in_xa)>;                      \
  v.back().alpha = port_bytes<decltype(std::declval<V&>().in_alpha)>;
#define MXLAB_INT_UNIT(name, V, p) MXLAB_AB_UNIT(name, V, p, UnitKind::int_mac)
#define MXLAB_VQ_UNIT(name, V, p)                                                                          \
  v.push_back({#name, UnitKind::vq_mac, parse_params(p), port_bytes<decltype(std::declval<V&>().in_x)>, \
               port_bytes<decltype(std::declval<V&>().in_idx)>, port_bytes<decltype(std::declval<V&>().out_acc)>});
  MXLAB_RTL_BLOCK_DOT_UNITS(MXLAB_DOT_UNIT)
  MXLAB_RTL_INT_MAC_UNITS(MXLAB_INT_UNIT)
  MXLAB_RTL_VQ_MAC_UNITS(MXLAB_VQ_UNIT)
  return v;
}

// Bytes of the C++ container Verilator gives an SV port of `bits` bits (CData, SData, IData, QData, VlWide<words>).
std::size_t container_bytes(int bits) {
  if (bits <= 8) return 1;
  if (bits <= 16) return 2;
  if (bits <= 32) return 4;
  if (bits <= 64) return 8;
  return 4 * static_cast<std::size_t>((bits + 31) / 32);
}

// Packed bits of one block scale of type s (FormatTraits::scale_bits of the table's formats with that scale type).
int scale_bits(ScaleType s) {
  for (const FormatTraits& t : format_table())
    if (t.scale == s) return t.scale_bits();
  return 0;
}

TEST(UnitCatalog, NamesRoundTripAndKindsPartitionTheCatalog) {
  const std::vector<std::string> names = unit_names();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size()) << "duplicate unit names";
  EXPECT_EQ(unit_catalog().size(), names.size());
  std::size_t by_kind = 0;
  for (UnitKind k : {UnitKind::block_dot, UnitKind::int_mac, UnitKind::vq_mac})
    for (const std::string& n : unit_names(k)) {
      EXPECT_EQ(unit_config(n).kind, k) << n;
      ++by_kind;
    }
  EXPECT_EQ(by_kind, names.size());
  for (const std::string& n : names) {
    const UnitConfig& u = unit_config(n);
    EXPECT_EQ(u.name, n);
    EXPECT_EQ(u.top, "mxlab_" + std::string(unit_kind_name(u.kind))) << n << ": a kind is one SV module";
    EXPECT_GT(u.stim.n, 0) << n;
    EXPECT_FALSE(u.stim.elems_a.empty() || u.stim.elems_b.empty()) << n;
    for (const auto& elems : {u.stim.elems_a, u.stim.elems_b})
      for (Elem e : elems)
        EXPECT_TRUE(u.kind == UnitKind::block_dot ? is_data_elem(e) : elem_spec(e).is_int)
            << n << " " << elem_spec(e).name;
    if (u.kind == UnitKind::block_dot && u.stim.scale == ScaleType::fp32_zero) {  // asymmetric: fixed INT types
      EXPECT_TRUE(u.stim.elems_a.size() == 1 && elem_spec(u.stim.elems_a[0]).is_int) << n;
      EXPECT_TRUE(u.stim.elems_b.size() == 1 && elem_spec(u.stim.elems_b[0]).is_int) << n;
    }
    if (u.kind == UnitKind::block_dot && u.stim.scale == ScaleType::fp32) {  // run-time INT types would be MX INT
      for (const auto& elems : {u.stim.elems_a, u.stim.elems_b})
        EXPECT_TRUE(elems.size() == 1 ||
                    std::none_of(elems.begin(), elems.end(), [](Elem e) { return elem_spec(e).is_int; }))
            << n << ": an FP32-scaled unit selects FP element types only at run time";
    }
    if (u.kind != UnitKind::block_dot) {
      EXPECT_FALSE(u.stim.tensor_scale) << n;
    }
  }
  try {
    unit_config("no_such_unit");
    ADD_FAILURE() << "unit_config accepted an unknown name";
  } catch (const std::invalid_argument& e) {
    for (const std::string& n : names) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
  EXPECT_THROW(unit_config(names.front()).param("NO_SUCH_PARAM"), std::invalid_argument);
}

// An element-type parameter: one accepted type is fixed in the RTL (its id); several are chosen at run time (ANY).
void expect_elem_param(const std::string& unit, int param, const std::vector<Elem>& elems) {
  if (param == verilator::kElemAny) {
    for (Elem e : elems) EXPECT_TRUE(is_data_elem(e)) << unit;
  } else {
    std::vector<std::string> names;
    for (Elem e : elems) names.push_back(elem_spec(e).name);
    EXPECT_EQ(names, std::vector<std::string>{elem_spec(static_cast<Elem>(param)).name})
        << unit << ": a fixed-type unit accepts that type only";
  }
}

TEST(UnitCatalog, EveryUnitIsVerilatedWithItsCatalogParametersAndPortWidths) {
  const std::vector<VerilatedUnit> vu = verilated_units();
  ASSERT_EQ(vu.size(), unit_catalog().size());
  for (const VerilatedUnit& v : vu) {
    SCOPED_TRACE(v.name);
    const UnitConfig& u = unit_config(v.name);
    EXPECT_EQ(v.kind, u.kind);
    std::map<std::string, int> want(u.params.begin(), u.params.end());  // the further parameters, as given
    want["N"] = u.stim.n;
    if (u.kind != UnitKind::vq_mac) {
      want["ELEM_A"] = v.params.at("ELEM_A");
      want["ELEM_B"] = v.params.at("ELEM_B");
      expect_elem_param(u.name, want["ELEM_A"], u.stim.elems_a);
      expect_elem_param(u.name, want["ELEM_B"], u.stim.elems_b);
    }
    if (u.kind == UnitKind::block_dot) {
      want["SCALE"] = static_cast<int>(u.stim.scale);
      EXPECT_EQ(v.xa, container_bytes(scale_bits(u.stim.scale))) << "in_xa: the scale type's packed bits";
      EXPECT_EQ(v.alpha, 4u) << "in_alpha: FP32";
      EXPECT_EQ(v.params.count("TSCALE") ? v.params.at("TSCALE") : 0, u.stim.tensor_scale ? 1 : 0);
    }
    EXPECT_EQ(v.params, want);
    EXPECT_EQ(v.acc, 4u) << "32-bit accumulator";
    if (u.kind == UnitKind::vq_mac) {
      EXPECT_EQ(v.a, container_bytes(u.stim.n * u.param("D") * 8)) << "in_x";
      EXPECT_EQ(v.b, container_bytes(u.stim.n * u.param("IDX_BITS"))) << "in_idx";
    } else {
      EXPECT_EQ(v.a, container_bytes(u.stim.n * 8)) << "in_a: one byte per lane";
      EXPECT_EQ(v.b, container_bytes(u.stim.n * 8)) << "in_b: one byte per lane";
    }
  }
}

// Probe blocks whose reference results tell the four scale types apart (0x7F: E8M0 2^0, UE4M3 NaN, FP32 a
// subnormal; 0x7F800000: FP32 Inf = NaN block, E8M0/UE4M3 low byte 0; zero point 1 on code 1: 0 only with a zero
// point). The Verilated unit must give what the reference gives for the catalog's scale type on every probe.
TEST(UnitCatalog, BlockDotUnitsUseTheirCatalogScaleType) {
  const ScaleType all[] = {ScaleType::e8m0, ScaleType::ue4m3, ScaleType::fp32, ScaleType::fp32_zero};
  for (const std::string& n : unit_names(UnitKind::block_dot)) {
    const UnitConfig& u = unit_config(n);
    std::vector<BlockVector> probes;
    for (const std::uint64_t x : {std::uint64_t{0x7F}, std::uint64_t{0x7F800000}, std::uint64_t{0x013F800000}}) {
      BlockVector p;
      p.ea = u.stim.elems_a.front(), p.eb = u.stim.elems_b.front(), p.clear = true;
      p.xa = p.xb = x;
      p.a.assign(u.stim.n, 0), p.b.assign(u.stim.n, 0);
      p.a[0] = p.b[0] = x == 0x013F800000 ? 1 : 0;
      probes.push_back(std::move(p));
    }
    std::vector<BlockVector> v = probes;
    reference::expect(v, u.stim.scale);
    for (const ScaleType s : all) {
      if (s == u.stim.scale) continue;
      std::vector<BlockVector> other = probes;
      reference::expect(other, s);
      bool differ = false;
      for (std::size_t i = 0; i < v.size(); ++i) differ = differ || v[i].acc != other[i].acc;
      EXPECT_TRUE(differ) << n << ": the probes must tell " << scale_name(u.stim.scale) << " from " << scale_name(s);
    }
    const verilator::CosimStats st = verilator::stream_unit(n, v);
    EXPECT_EQ(st.checked, v.size()) << n;
    EXPECT_EQ(st.mismatches, 0u) << n << " does not decode its scales as " << scale_name(u.stim.scale);
  }
}

}  // namespace
}  // namespace mxlab::rtl
