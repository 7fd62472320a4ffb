// Independent reference, stimulus and golden lines of the integer units (int_reference.hpp).
#include "rtl/models/int_reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <random>
#include <sstream>
#include <stdexcept>

#include "rtl/models/units.hpp"

namespace mxlab::rtl {
namespace reference {

std::int64_t mod_signed(__int128 v, int bits) {
  const __int128 m = static_cast<__int128>(1) << bits;
  __int128 r = v % m;
  if (r < 0) r += m;                                        // r in [0, 2^bits)
  if (r >= m / 2) r -= m;                                   // two's complement
  return static_cast<std::int64_t>(r);
}

IntMacReference::IntMacReference(Elem ea, Elem eb, int acc_bits) : ea_(ea), eb_(eb), acc_bits_(acc_bits) {
  if (!elem_spec(ea).is_int || !elem_spec(eb).is_int) throw std::invalid_argument("IntMacReference: INT elements only");
}

std::int64_t IntMacReference::step(bool clear, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) throw std::invalid_argument("IntMacReference: A and B differ in length");
  if (clear) exact_ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {  // decode_elem: the INT-N value k of the low `bits` of the code
    const double x = decode_elem(ea_, a[i]), y = decode_elem(eb_, b[i]);
    exact_ += static_cast<__int128>(static_cast<std::int64_t>(x)) * static_cast<std::int64_t>(y);
  }
  const __int128 half = static_cast<__int128>(1) << (acc_bits_ - 1);
  if (exact_ >= half || exact_ < -half) ++wraps_;
  return mod_signed(exact_, acc_bits_);
}

void VqMacReference::load(const VqCodebook& cb) {
  if (cb.storage() != VqStorage::int8) throw std::invalid_argument("VqMacReference: INT8 codebooks only");
  cb_ = &cb;
}

std::int64_t VqMacReference::step(bool clear, std::span<const std::uint32_t> idx, std::span<const std::int8_t> x) {
  if (!cb_) throw std::logic_error("VqMacReference: no codebook loaded");
  const std::vector<float> w = cb_->decode(idx);  // dim values per index, = entry * scale
  if (w.size() != x.size()) throw std::invalid_argument("VqMacReference: x must hold idx.size() * dim values");
  if (clear) exact_ = 0;
  for (std::size_t j = 0; j < w.size(); ++j) {
    const double q = static_cast<double>(w[j]) / cb_->scale();  // the entry in units of the scale
    if (q != std::nearbyint(q) || q < -128 || q > 127)
      throw std::logic_error("VqMacReference: codeword / scale is not an INT8 integer");
    exact_ += static_cast<__int128>(static_cast<std::int64_t>(q)) * x[j];
  }
  const __int128 half = static_cast<__int128>(1) << (acc_bits_ - 1);
  if (exact_ >= half || exact_ < -half) ++wraps_;
  return mod_signed(exact_, acc_bits_);
}

VqCodebook vq_test_codebook(const UnitConfig& u, std::uint64_t seed, bool extreme) {
  const int dim = u.param("D"), idx_bits = u.param("IDX_BITS");
  if (idx_bits % dim != 0) throw std::invalid_argument(u.name + ": IDX_BITS must be a multiple of D for VqCodebook");
  const std::size_t k = std::size_t{1} << idx_bits;
  std::mt19937_64 rng(seed);
  std::vector<float> cw(k * dim);
  for (float& c : cw) {
    const int q = extreme ? (rng() & 1 ? 127 : -127) : static_cast<int>(rng() % 255) - 127;
    c = static_cast<float>(q);
  }
  cw[rng() % cw.size()] = rng() & 1 ? 127.0f : -127.0f;  // max |c| = 127: scale exactly 1
  VqCodebook cb(dim, idx_bits / dim, VqStorage::int8, cw);
  if (cb.scale() != 1.0f) throw std::logic_error("vq_test_codebook: scale is not 1");
  return cb;
}

std::vector<VqStep> vq_load_steps(const VqCodebook& cb, std::uint64_t seed) {
  std::vector<int> order(cb.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  std::vector<VqStep> v;
  const auto e = cb.int8_entries();
  for (int a : order) {
    VqStep s;
    s.write = true, s.addr = a;
    s.cw.assign(e.begin() + a * cb.dim(), e.begin() + (a + 1) * cb.dim());
    v.push_back(std::move(s));
  }
  return v;
}

}  // namespace reference

std::vector<IntStep> int_mac_stimulus(const UnitConfig& u, std::size_t count, std::uint64_t seed) {
  const Elem ea = u.stim.elems_a.at(0), eb = u.stim.elems_b.at(0);
  const int ba = elem_spec(ea).bits, bb = elem_spec(eb).bits, n = u.stim.n;
  const auto min_a = static_cast<std::uint8_t>(1u << (ba - 1)), min_b = static_cast<std::uint8_t>(1u << (bb - 1));
  const auto max_a = static_cast<std::uint8_t>(min_a - 1), max_b = static_cast<std::uint8_t>(min_b - 1);
  const auto dc_a = static_cast<std::uint8_t>(0xFFu << ba), dc_b = static_cast<std::uint8_t>(0xFFu << bb);
  std::vector<IntStep> v;
  auto add = [&](bool clear, auto fa, auto fb) {
    IntStep s;
    s.clear = clear;
    for (int i = 0; i < n; ++i) s.a.push_back(fa(i)), s.b.push_back(fb(i));
    v.push_back(std::move(s));
  };
  auto c = [](std::uint8_t x) { return [x](int) { return x; }; };
  add(true, c(dc_a), c(dc_b));                                  // zero codes, don't-care bits all ones
  for (int r = 0; r < 3; ++r) add(r == 0, c(min_a), c(min_b));  // largest positive products, accumulated
  add(false, c(min_a), c(max_b));                               // most negative products
  add(true, c(max_a), c(max_b));
  add(false, c(static_cast<std::uint8_t>(min_a | dc_a)), c(static_cast<std::uint8_t>(min_b | dc_b)));
  add(true, [&](int) { return min_a; }, [&](int i) { return i % 2 ? max_b : min_b; });  // alternating signs
  for (int i = 0; i < n; ++i)                                   // one lane at a time, cleared each time
    add(true, [&](int j) { return j == i ? min_a : std::uint8_t{0}; }, [&](int j) { return j == i ? min_b : dc_b; });
  std::mt19937_64 rng(seed);
  for (std::size_t k = 0; k < count; ++k) {
    const bool extreme = rng() % 4 == 0;
    const bool neg = rng() & 1;
    add(k == 0 || rng() % 64 == 0,
        [&](int) { return extreme ? min_a : static_cast<std::uint8_t>(rng()); },
        [&](int) { return extreme ? (neg ? max_b : min_b) : static_cast<std::uint8_t>(rng()); });
  }
  reference::IntMacReference ref(ea, eb, 32);
  for (IntStep& s : v) s.acc = ref.step(s.clear, s.a, s.b);
  return v;
}

std::vector<VqStep> vq_mac_stimulus(const UnitConfig& u, std::size_t count, std::uint64_t seed) {
  const int n = u.stim.n, dim = u.param("D"), idx_bits = u.param("IDX_BITS");
  const std::uint32_t k_mask = (1u << idx_bits) - 1;
  std::mt19937_64 rng(seed);
  std::deque<VqCodebook> books;  // stable addresses for the reference
  std::vector<std::pair<std::size_t, const VqCodebook*>> loads;  // (step index, codebook) in stream order
  std::vector<VqStep> v;
  auto load = [&](bool extreme) {
    books.push_back(reference::vq_test_codebook(u, rng(), extreme));
    loads.emplace_back(v.size(), &books.back());
    auto w = reference::vq_load_steps(books.back(), rng());
    v.insert(v.end(), w.begin(), w.end());
  };
  auto vec = [&](bool clear, auto fi, auto fx) {
    VqStep s;
    s.clear = clear;
    for (int i = 0; i < n; ++i) s.idx.push_back(fi(i) & k_mask);
    for (int j = 0; j < n * dim; ++j) s.x.push_back(static_cast<std::int8_t>(fx(j)));
    v.push_back(std::move(s));
  };
  load(true);  // every entry +-127
  for (int r = 0; r < 4; ++r) vec(r == 0, [&](int) { return static_cast<std::uint32_t>(rng()); }, [](int) { return -128; });
  vec(false, [&](int i) { return static_cast<std::uint32_t>(i); }, [](int) { return 127; });
  vec(true, [](int) { return 0u; }, [](int j) { return j % 2 ? -128 : 127; });
  vec(true, [&](int) { return k_mask; }, [](int) { return 0; });
  const int rounds = 8;
  for (int r = 0; r < rounds; ++r) {
    load(false);  // reloaded while the previous round's vectors are still in flight
    for (std::size_t k = 0; k < count / rounds; ++k)
      vec(k == 0 || rng() % 64 == 0, [&](int) { return static_cast<std::uint32_t>(rng()); },
          [&](int) { return static_cast<int>(static_cast<std::int8_t>(rng())); });
  }
  reference::VqMacReference ref(32);
  std::size_t next = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    while (next < loads.size() && loads[next].first <= i) ref.load(*loads[next++].second);
    if (!v[i].write) v[i].acc = ref.step(v[i].clear, v[i].idx, v[i].x);
  }
  return v;
}

namespace {
std::string hex_bus(const std::vector<std::uint32_t>& lanes, int digits) {  // lane N-1 first
  std::string s;
  char buf[16];
  for (std::size_t i = lanes.size(); i-- > 0;) {
    std::snprintf(buf, sizeof buf, "%0*X", digits, lanes[i]);
    s += buf;
  }
  return s;
}
template <class T>
std::vector<std::uint32_t> as_u32(const std::vector<T>& v) {
  std::vector<std::uint32_t> r;
  for (T x : v) r.push_back(static_cast<std::uint32_t>(static_cast<std::uint8_t>(x)));
  return r;
}
std::vector<std::uint32_t> parse_bus(const std::string& tok, int lanes, int digits, const std::string& line) {
  if (static_cast<int>(tok.size()) != lanes * digits) throw std::invalid_argument("bad bus width in golden line: " + line);
  std::vector<std::uint32_t> v(lanes);
  for (int i = 0; i < lanes; ++i)
    v[lanes - 1 - i] = static_cast<std::uint32_t>(std::stoul(tok.substr(static_cast<std::size_t>(i * digits), digits), nullptr, 16));
  return v;
}
std::string acc_hex(std::int64_t acc, int acc_bits) {
  char buf[24];
  const std::uint64_t m = acc_bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << acc_bits) - 1;
  std::snprintf(buf, sizeof buf, "%0*llX", (acc_bits + 3) / 4, static_cast<unsigned long long>(static_cast<std::uint64_t>(acc) & m));
  return buf;
}
std::int64_t parse_acc(const std::string& tok) {
  return reference::mod_signed(static_cast<__int128>(std::stoull(tok, nullptr, 16)), 4 * static_cast<int>(tok.size()));
}
}  // namespace

std::string int_golden_line(const IntStep& s, int acc_bits) {
  return std::string(s.clear ? "1 " : "0 ") + hex_bus(as_u32(s.a), 2) + " " + hex_bus(as_u32(s.b), 2) + " " +
         acc_hex(s.acc, acc_bits);
}

IntStep parse_int_golden_line(const std::string& line, int n) {
  std::istringstream in(line);
  std::string c, a, b, acc;
  if (!(in >> c >> a >> b >> acc) || (c != "0" && c != "1")) throw std::invalid_argument("bad int_mac golden line: " + line);
  IntStep s;
  s.clear = c == "1";
  for (std::uint32_t x : parse_bus(a, n, 2, line)) s.a.push_back(static_cast<std::uint8_t>(x));
  for (std::uint32_t x : parse_bus(b, n, 2, line)) s.b.push_back(static_cast<std::uint8_t>(x));
  s.acc = parse_acc(acc);
  return s;
}

std::string vq_golden_line(const VqStep& s, int idx_bits, int acc_bits) {
  char buf[16];
  if (s.write) {
    std::snprintf(buf, sizeof buf, "W %X ", static_cast<unsigned>(s.addr));
    return buf + hex_bus(as_u32(s.cw), 2);
  }
  return std::string("V ") + (s.clear ? "1 " : "0 ") + hex_bus(s.idx, (idx_bits + 3) / 4) + " " +
         hex_bus(as_u32(s.x), 2) + " " + acc_hex(s.acc, acc_bits);
}

VqStep parse_vq_golden_line(const std::string& line, int n, int dim, int idx_bits) {
  std::istringstream in(line);
  std::string tag;
  in >> tag;
  VqStep s;
  if (tag == "W") {
    std::string addr, cw;
    if (!(in >> addr >> cw)) throw std::invalid_argument("bad vq_mac golden write line: " + line);
    s.write = true;
    s.addr = static_cast<int>(std::stoul(addr, nullptr, 16));
    for (std::uint32_t x : parse_bus(cw, dim, 2, line)) s.cw.push_back(static_cast<std::int8_t>(x));
    return s;
  }
  std::string c, idx, x, acc;
  if (tag != "V" || !(in >> c >> idx >> x >> acc) || (c != "0" && c != "1"))
    throw std::invalid_argument("bad vq_mac golden line: " + line);
  s.clear = c == "1";
  s.idx = parse_bus(idx, n, (idx_bits + 3) / 4, line);
  for (std::uint32_t b : parse_bus(x, n * dim, 2, line)) s.x.push_back(static_cast<std::int8_t>(b));
  s.acc = parse_acc(acc);
  return s;
}

std::string int_golden_header(const UnitConfig& u, std::uint64_t seed) {
  std::ostringstream o;
  o << "# mxlab golden vectors: unit " << u.name << " (" << unit_kind_name(u.kind) << "), N=" << u.stim.n;
  for (const auto& [p, val] : u.params) o << ", " << p << "=" << val;
  o << ", 32-bit wrapping accumulator, seed " << seed << "\n"
    << "# expected values: rtl/models/int_reference.hpp (exact integer sums of formats/-decoded codes, mod 2^32)\n";
  if (u.kind == UnitKind::vq_mac)
    o << "# columns (hex): W addr codeword (entry D-1 first) | V clear idx (index N-1 first) x (byte N*D-1 first) acc\n";
  else
    o << "# columns (hex): clear A B acc; A/B: lane N-1 first, 2 hex digits per lane (low element bits = code)\n";
  return o.str();
}

}  // namespace mxlab::rtl
