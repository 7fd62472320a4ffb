// The Verilated block dot unit behind the PE ports: the PeBlock port unpacked onto the unit's input ports (lane codes
// on the wide buses), the accumulator and flags ports widened onto out_acc / out_flags; clocking, reset and the
// valid/ready handshake bound straight through.
#include "sim/pe/rtl_pe.hpp"

#include <stdexcept>
#include <type_traits>

#include "sim/pe/rtl_pe_units.hpp"  // generated: the Verilated SystemC units, MXLAB_SIM_RTL_PE_UNITS(X)

namespace mxlab::sim {
namespace {

template <class Port>
using port_data_t = typename std::remove_reference_t<Port>::data_type;

template <class V>
class RtlPe final : public PeBase {
 public:
  SC_HAS_PROCESS(RtlPe);
  RtlPe(const sc_core::sc_module_name& name, const PeConfig& cfg) : PeBase(name, cfg), dut_("dut") {
    dut_.clk(clk), dut_.rst_n(rst_n), dut_.in_valid(in_valid), dut_.in_ready(in_ready);
    dut_.out_valid(out_valid), dut_.out_ready(out_ready);
    dut_.in_clear(clear_), dut_.in_sel_a(sel_a_), dut_.in_sel_b(sel_b_), dut_.in_xa(xa_), dut_.in_xb(xb_);
    dut_.in_alpha(alpha_), dut_.in_a(a_), dut_.in_b(b_), dut_.out_acc(acc_), dut_.out_flags(flags_);
    SC_METHOD(drive);
    sensitive << in_block;
    SC_METHOD(collect);
    sensitive << acc_ << flags_;
  }

 private:
  using Bus = port_data_t<decltype(std::declval<V&>().in_a)>;
  using Scale = port_data_t<decltype(std::declval<V&>().in_xa)>;
  using Acc = port_data_t<decltype(std::declval<V&>().out_acc)>;  // 32 bits for FP32, 64 beyond

  static Bus lanes(const std::vector<std::uint8_t>& codes) {  // lane i at bits [8i, 8i + 8)
    Bus bus;
    for (int w = 0; w < bus.length() / 32; ++w) {  // size() counts words, length() bits
      sc_dt::sc_digit word = 0;
      for (int k = 0; k < 4; ++k) {
        const std::size_t i = 4 * static_cast<std::size_t>(w) + k;
        if (i < codes.size()) word |= sc_dt::sc_digit{codes[i]} << (8 * k);
      }
      bus.set_word(w, word);
    }
    return bus;
  }
  void drive() {
    const PeBlock& b = in_block.read();
    clear_.write(b.clear);
    sel_a_.write(static_cast<std::uint32_t>(b.ea)), sel_b_.write(static_cast<std::uint32_t>(b.eb));
    xa_.write(static_cast<Scale>(b.xa)), xb_.write(static_cast<Scale>(b.xb));
    // no tensor scale: 1.0 in the accumulator format, for which RNE(acc * 1) = acc
    alpha_.write(static_cast<Acc>(b.alpha.value_or(cfg_.acc.from_double(1.0))));
    a_.write(lanes(b.a)), b_.write(lanes(b.b));
  }
  void collect() {
    out_acc.write(acc_.read());
    out_flags.write(flags_.read());
  }

  V dut_;
  sc_core::sc_signal<bool> clear_;
  sc_core::sc_signal<std::uint32_t> sel_a_, sel_b_, flags_;
  sc_core::sc_signal<Acc> alpha_, acc_;
  sc_core::sc_signal<Scale> xa_, xb_;
  sc_core::sc_signal<Bus> a_, b_;
};

}  // namespace

std::vector<std::string> rtl_pe_units() {
  std::vector<std::string> v;
#define MXLAB_RTL_PE_NAME(name, V) v.push_back(#name);
  MXLAB_SIM_RTL_PE_UNITS(MXLAB_RTL_PE_NAME)
#undef MXLAB_RTL_PE_NAME
  return v;
}

std::unique_ptr<PeBase> make_rtl_pe(const char* name, const PeConfig& cfg) {
  std::string known;
  auto check = [&cfg](const PeConfig& u) {
    if (cfg.lanes != u.lanes || cfg.scale != u.scale || cfg.depth != u.depth || cfg.tensor_scale != u.tensor_scale ||
        cfg.acc != u.acc || cfg.weights_on_a != u.weights_on_a)
      throw std::invalid_argument("RTL PE " + u.unit + ": the configuration differs from the unit's (rtl/units.json)");
  };
#define MXLAB_RTL_PE_MAKE(unit_name, V)               \
  if (cfg.unit == #unit_name) {                       \
    check(PeConfig::from_unit(#unit_name));           \
    return std::make_unique<RtlPe<V>>(name, cfg);     \
  }                                                   \
  known += (known.empty() ? "" : ", ") + std::string(#unit_name);
  MXLAB_SIM_RTL_PE_UNITS(MXLAB_RTL_PE_MAKE)
#undef MXLAB_RTL_PE_MAKE
  throw std::invalid_argument("'" + cfg.unit + "' is not a unit verilated for SystemC (known: " + known + ")");
}

}  // namespace mxlab::sim
