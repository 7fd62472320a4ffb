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

Pe::Pe(const sc_core::sc_module_name& name, PeConfig cfg)
    : PeBase(name, std::move(cfg)), model_(cfg_.scale, cfg_.acc) {
  SC_THREAD(run);
  sensitive << clk.pos();
}

void Pe::reset() {
  model_ = rtl::BlockDotModel(cfg_.scale, cfg_.acc);
  pipe_.clear(), fifo_.clear(), count_ = 0, edge_ = 0;
}

void Pe::publish() {
  in_ready.write(has_credit());
  out_valid.write(!fifo_.empty());
  if (!fifo_.empty()) {
    out_acc.write(fifo_.front().bits);
    out_flags.write(fifo_.front().flags);
  }
}

void Pe::run() {
  const std::uint64_t push_delay = static_cast<std::uint64_t>(cfg_.latency() - 1);  // acceptance -> FIFO
  publish();
  while (true) {
    wait();
    if (!rst_n.read()) {
      reset();
      publish();
      continue;
    }
    ++edge_;
    const bool accept = in_valid.read() && has_credit();  // in_ready as the consumer saw it before the edge
    const bool take = !fifo_.empty() && out_ready.read();
    if (take) fifo_.pop_front();
    while (!pipe_.empty() && pipe_.front().first == edge_) {
      fifo_.push_back(pipe_.front().second);
      pipe_.pop_front();
    }
    if (accept) pipe_.emplace_back(edge_ + push_delay, model_.step(in_block.read().pair()));
    count_ = count_ + (accept ? 1 : 0) - (take ? 1 : 0);
    publish();
  }
}

std::unique_ptr<PeBase> make_cpp_pe(const char* name, const PeConfig& cfg) { return std::make_unique<Pe>(name, cfg); }

}  // namespace mxlab::sim
