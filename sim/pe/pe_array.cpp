// The functional output-stationary PE array: per-PE block streams (rtl/cost gemm_block_pairs: the block pairs the
// runtime's exact GEMM and the units consume), valid/ready driving, result collection, and the run harness.
#include "sim/pe/pe_array.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "rtl/cost/stimulus.hpp"

namespace mxlab::sim {

struct PeArray::Wires {
  sc_core::sc_signal<bool> in_valid, in_ready, out_valid, out_ready;
  sc_core::sc_signal<PeBlock> in_block;
  sc_core::sc_signal<std::uint64_t> out_acc;
  sc_core::sc_signal<std::uint32_t> out_flags;
};

std::uint64_t array_cycles(const PeConfig& cfg, std::uint64_t tiles, std::uint64_t blocks) {
  return tiles * blocks - 1 + static_cast<std::uint64_t>(cfg.latency());
}

PeArray::PeArray(const sc_core::sc_module_name& name, int rows, int cols, const PeConfig& cfg, const PeFactory& make)
    : sc_core::sc_module(name), rows_(rows), cols_(cols), cfg_(cfg) {
  if (rows < 1 || cols < 1)
    throw std::invalid_argument("PE array: rows and cols must be >= 1 (got " + std::to_string(rows) + " x " +
                                std::to_string(cols) + ")");
  for (int p = 0; p < rows * cols; ++p) {
    auto& w = *wires_.emplace_back(std::make_unique<Wires>());
    const std::string pe_name = "pe_" + std::to_string(p / cols) + "_" + std::to_string(p % cols);
    auto& pe = *pes_.emplace_back(make(pe_name.c_str(), cfg));
    pe.clk(clk), pe.rst_n(rst_n);
    pe.in_valid(w.in_valid), pe.in_ready(w.in_ready), pe.in_block(w.in_block);
    pe.out_valid(w.out_valid), pe.out_ready(w.out_ready), pe.out_acc(w.out_acc), pe.out_flags(w.out_flags);
  }
  pairs_.resize(pes_.size());
  pairs_tile_.assign(pes_.size(), 0);
  SC_THREAD(control);
  sensitive << clk.pos();
}

PeArray::~PeArray() = default;

void PeArray::load(std::span<const PackedTensor> a_rows, std::span<const PackedTensor> w_rows) {
  if (a_rows.empty() || w_rows.empty()) throw std::invalid_argument("PE array: the GEMM has no rows");
  for (const auto rows : {a_rows, w_rows})
    for (const PackedTensor& p : rows) {
      if (p.format != rows[0].format || p.count != a_rows[0].count)
        throw std::invalid_argument("PE array: the rows of A and of W must each share one format, and all one K");
      if (p.block != cfg_.lanes)
        throw std::invalid_argument("PE array: blocks of " + std::to_string(p.block) + " on a PE of " +
                                    std::to_string(cfg_.lanes) + " lanes");
    }
  const FormatTraits &ta = traits(a_rows[0].format), &tw = traits(w_rows[0].format);
  if (ta.scale != cfg_.scale || tw.scale != cfg_.scale)
    throw std::invalid_argument(std::string("PE array: formats ") + ta.name + " / " + tw.name +
                                " do not have the PE's scale type");
  if (!cfg_.unit.empty()) {  // an RTL unit fixes (or selects among) its element types
    const rtl::UnitConfig& u = rtl::unit_config(cfg_.unit);
    const Elem on_a = cfg_.weights_on_a ? tw.elem : ta.elem, on_b = cfg_.weights_on_a ? ta.elem : tw.elem;
    auto takes = [](const std::vector<Elem>& v, Elem e) { return std::find(v.begin(), v.end(), e) != v.end(); };
    if (!takes(u.stim.elems_a, on_a) || !takes(u.stim.elems_b, on_b))
      throw std::invalid_argument("PE array: unit " + cfg_.unit + " does not multiply " + tw.name + " weights by " +
                                  ta.name + " activations");
  }
  if ((a_rows[0].has_tensor_scale || w_rows[0].has_tensor_scale) && !cfg_.tensor_scale)
    throw std::invalid_argument(
        "PE array: the operands carry nvfp4 tensor scales; the PE has no tensor-scale epilogue");
  a_ = a_rows, w_ = w_rows;
  run_ = {};
  run_.m = static_cast<int>(a_rows.size()), run_.n = static_cast<int>(w_rows.size());
  run_.blocks = a_rows[0].block_count();
  tiles_n_ = (w_rows.size() + cols_ - 1) / cols_;
  run_.tiles = (a_rows.size() + rows_ - 1) / rows_ * tiles_n_;
  const std::size_t mn = a_rows.size() * w_rows.size();
  run_.out.assign(mn, 0.0f), run_.acc.assign(mn, 0), run_.flags.assign(mn, 0), run_.taken_edge.assign(mn, 0);
}

PeBlock PeArray::block(std::size_t pe, std::uint64_t index) {
  const std::uint64_t tile = index / run_.blocks;
  if (pairs_tile_[pe] != tile + 1) {
    const std::size_t m = std::min<std::size_t>((tile / tiles_n_) * rows_ + pe / cols_, a_.size() - 1);
    const std::size_t n = std::min<std::size_t>((tile % tiles_n_) * cols_ + pe % cols_, w_.size() - 1);
    pairs_[pe] = cfg_.weights_on_a ? cost::gemm_block_pairs(w_[n], a_[m], cfg_.lanes)
                                   : cost::gemm_block_pairs(a_[m], w_[n], cfg_.lanes);
    pairs_tile_[pe] = tile + 1;
  }
  return PeBlock::from(pairs_[pe][index % run_.blocks]);
}

void PeArray::control() {
  const std::size_t npe = pes_.size();
  const std::uint64_t stream = run_.tiles * run_.blocks;  // block pairs per PE
  std::vector<std::uint64_t> sent(npe, 0), taken(npe, 0);
  run_.trace.assign(npe * stream, 0);  // PE p's j-th result at p * stream + j
  for (auto& w : wires_) w->in_valid.write(false), w->out_ready.write(true);
  do wait();
  while (!rst_n.read());
  auto drive = [&](std::size_t p) {
    const bool more = sent[p] < stream;
    wires_[p]->in_valid.write(more);
    if (more) wires_[p]->in_block.write(block(p, sent[p]));
  };
  for (std::size_t p = 0; p < npe && stream > 0; ++p) drive(p);
  std::uint64_t edge = 0, first = 0, done_pes = 0;
  bool started = false;
  while (done_pes < npe && stream > 0) {
    wait();
    ++edge;
    for (std::size_t p = 0; p < npe; ++p) {
      Wires& w = *wires_[p];
      if (w.in_valid.read() && w.in_ready.read()) {
        if (!started) started = true, first = edge;
        ++sent[p];
        drive(p);
      }
      if (w.out_valid.read() && w.out_ready.read()) {
        const std::uint64_t acc = w.out_acc.read(), j = taken[p]++;
        const std::uint32_t fl = w.out_flags.read();
        run_.trace[p * stream + j] = acc << 5 | fl;
        const std::uint64_t tile = j / run_.blocks;
        const std::size_t m = (tile / tiles_n_) * rows_ + p / cols_, n = (tile % tiles_n_) * cols_ + p % cols_;
        if (j % run_.blocks == run_.blocks - 1 && m < a_.size() && n < w_.size()) {
          const std::size_t o = m * w_.size() + n;
          run_.acc[o] = acc, run_.flags[o] = fl, run_.taken_edge[o] = edge - first;
          run_.out[o] = static_cast<float>(cfg_.acc.to_double(acc));
        }
        if (taken[p] == stream) ++done_pes, run_.cycles = std::max(run_.cycles, edge - first);
      }
    }
  }
  finished_ = true;
  done.notify();
  sc_core::sc_stop();
}

ArrayRun run_gemm(int rows, int cols, const PeConfig& cfg, const PeFactory& make, std::span<const PackedTensor> a_rows,
                  std::span<const PackedTensor> w_rows) {
  fresh_sim_context();
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);  // "simulation stopped by user"
  sc_core::sc_clock clk("clk", 1, sc_core::SC_NS);
  sc_core::sc_signal<bool> rst_n("rst_n", false);
  PeArray array("array", rows, cols, cfg, make);
  array.clk(clk), array.rst_n(rst_n);
  array.load(a_rows, w_rows);
  const ArrayRun& r = array.result();
  run_simulation_for(2.5);  // reset over the edges at 0, 1, 2 ns
  rst_n.write(true);
  run_simulation_for(static_cast<double>(4 * array_cycles(cfg, r.tiles, r.blocks) + 64));
  if (!array.finished())
    throw std::runtime_error("PE array: the GEMM did not finish within 4x the cycles of the timing contract");
  return r;
}

}  // namespace mxlab::sim
