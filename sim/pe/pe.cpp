// The C++ processing element: the block dot unit's port timing (mxlab_block_dot.sv) around rtl::BlockDotModel.
#include "sim/pe/pe.hpp"

#include <algorithm>
#include <deque>
#include <ostream>
#include <stdexcept>
#include <utility>

namespace mxlab::sim {

PeBlock PeBlock::from(const rtl::BlockVector& v) { return {v.ea, v.eb, v.clear, v.xa, v.xb, v.alpha, v.a, v.b}; }

std::ostream& operator<<(std::ostream& os, const PeBlock& b) {
  os << (b.clear ? "clear " : "") << "xa " << std::hex << b.xa << " xb " << b.xb << std::dec << " lanes "
     << b.a.size();
  return os;
}

void sc_trace(sc_core::sc_trace_file* tf, const PeBlock& b, const std::string& name) {
  sc_core::sc_trace(tf, b.clear, name + ".clear");
  sc_core::sc_trace(tf, b.xa, name + ".xa");
  sc_core::sc_trace(tf, b.xb, name + ".xb");
}

PeConfig PeConfig::from_unit(const std::string& unit) {
  const rtl::UnitConfig& u = rtl::unit_config(unit);
  if (u.kind != rtl::UnitKind::block_dot)
    throw std::invalid_argument("RTL unit '" + unit + "' is a " + std::string(rtl::unit_kind_name(u.kind)) +
                                " unit, not a block dot unit: a PE needs kind block_dot");
  PeConfig c;
  c.unit = unit;
  c.lanes = u.stim.n;
  c.scale = u.stim.scale;
  c.tensor_scale = u.stim.tensor_scale;
  for (const auto& [p, v] : u.params) {  // mxlab_block_dot's parameters beyond those the catalog fields derive
    if (p == "DEPTH") c.depth = v;
    if (p == "ACC_E") c.acc.ebits = v;
    if (p == "ACC_M") c.acc.mbits = v;
  }
  c.weights_on_a = u.stim.elems_a != u.stim.elems_b;  // as rtl/cost/stimulus.hpp UnitFormat
  return c;
}

PeConfig PeConfig::for_formats(Format w, Format a, AccFormat acc) {
  const FormatTraits &tw = traits(w), &ta = traits(a);
  if (tw.scale != ta.scale || tw.default_block != ta.default_block)
    throw std::invalid_argument(std::string("a PE multiplies formats of one scale type and block size: weights ") +
                                tw.name + " and activations " + ta.name + " differ");
  PeConfig c;
  c.lanes = tw.default_block;
  c.scale = tw.scale;
  c.acc = acc;
  return c;
}

Pe::Pe(const sc_core::sc_module_name& name, PeConfig cfg) : PeBase(name, std::move(cfg)) {
  SC_THREAD(run);
  sensitive << clk.pos();
}

void Pe::run() {
  const std::size_t credits = static_cast<std::size_t>(cfg_.credits());
  const std::uint64_t push_delay = static_cast<std::uint64_t>(cfg_.latency() - 1);  // acceptance -> FIFO
  rtl::BlockDotModel model(cfg_.scale, cfg_.acc);
  std::deque<std::pair<std::uint64_t, AccResult>> pipe;  // (edge of the FIFO push, result), in flight
  std::deque<AccResult> fifo;
  std::size_t count = 0;  // accepted and not yet taken
  std::uint64_t edge = 0;
  auto publish = [&] {  // register outputs after the edge
    in_ready.write(count < credits);
    out_valid.write(!fifo.empty());
    if (!fifo.empty()) {
      out_acc.write(fifo.front().bits);
      out_flags.write(fifo.front().flags);
    }
  };
  publish();
  while (true) {
    wait();
    if (!rst_n.read()) {
      model = rtl::BlockDotModel(cfg_.scale, cfg_.acc);
      pipe.clear(), fifo.clear(), count = 0, edge = 0;
      publish();
      continue;
    }
    ++edge;
    const bool accept = in_valid.read() && count < credits;  // in_ready as the consumer saw it before the edge
    const bool take = !fifo.empty() && out_ready.read();
    if (take) fifo.pop_front();
    while (!pipe.empty() && pipe.front().first == edge) {
      fifo.push_back(pipe.front().second);
      pipe.pop_front();
    }
    if (accept) pipe.emplace_back(edge + push_delay, model.step(in_block.read().pair()));
    count = count + (accept ? 1 : 0) - (take ? 1 : 0);
    publish();
  }
}

std::unique_ptr<PeBase> make_cpp_pe(const char* name, const PeConfig& cfg) { return std::make_unique<Pe>(name, cfg); }

}  // namespace mxlab::sim
