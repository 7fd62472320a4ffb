// GEMM tiling: two loop orders (activation panels or weight panels resident in SRAM), folds with closed-form cycles.
#include "sim/plan.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mxlab::sim {

namespace {
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
}  // namespace

std::int64_t bank_cycles(std::int64_t blocks, double bytes, const SramConfig& s) {
  if (blocks <= 0) return 1;
  const std::int64_t per_bank = ceil_div(blocks, s.banks);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(per_bank * bytes / s.bytes_per_cycle - 1e-9)));
}

double lane_group_bytes(Format f, int lanes) {
  const FormatTraits& t = traits(f);
  if (t.default_block == lanes) return double(t.block_bytes(lanes));
  return lanes * t.bits_per_weight() / 8;  // exact storage at the format's own block (VQ: codebook included)
}

double packed_bytes(Format f, int lanes, std::int64_t rows, std::int64_t k) {
  return double(rows) * double(ceil_div(k, lanes)) * lane_group_bytes(f, lanes);
}

namespace {

struct Emitter {
  const PlanContext& c;
  const Gemm& g;
  GemmPlan& p;
  std::int64_t kb;
  double wblk, ablk, accb;

  std::int64_t load(int operand, double bytes) {
    p.loads.push_back({operand, static_cast<std::int64_t>(bytes), -1});
    p.dram_read += bytes;
    return static_cast<std::int64_t>(p.loads.size()) - 1;
  }
  void use(std::int64_t l) {
    if (l >= 0) p.loads[l].last_fold = static_cast<std::int64_t>(p.folds.size()) - 1;
  }
  void store(std::int64_t rows, std::int64_t cols) {
    const double b = packed_bytes(g.a_fmt, c.lanes, rows, cols);
    p.folds.back().store_bytes = static_cast<std::int64_t>(b);
    p.dram_write += b;
  }
  void push(Fold f, std::int64_t wl, std::int64_t al) {
    f.load[kWeight] = wl, f.load[kAct] = al;
    p.folds.push_back(f);
    use(wl), use(al);
  }

  // Weight stationary over rows [m0, m1) x columns [n0, n1): per C columns, the K folds of R blocks, T = m1 - m0.
  void ws_block(std::int64_t m0, std::int64_t m1, std::int64_t n0, std::int64_t n1, std::int64_t wl, std::int64_t al) {
    const ArchConfig& a = c.arch;
    const std::int64_t R = a.rows, C = a.cols, L = c.latency, t = m1 - m0;
    for (std::int64_t n = n0; n < n1; n += C) {
      const std::int64_t sc = std::min(C, n1 - n);
      for (std::int64_t k = 0; k < kb; k += R) {
        const std::int64_t sr = std::min(R, kb - k);
        const bool first = k == 0;
        const std::int64_t wstep = bank_cycles(sc, wblk, a.weight_sram);
        const std::int64_t step = std::max(bank_cycles(sr, ablk, a.act_sram),
                                           bank_cycles(sc * (first ? 1 : 2), accb, a.out_sram));
        Fold f{};
        f.sram_stall = R * (wstep - 1) + t * (step - 1);
        f.cycles = R + R * L + C + t - 2 + f.sram_stall;
        f.busy = sr * sc * t;
        f.macs = double(t) * double(sc) * double(std::min(g.k, (k + sr) * c.lanes) - k * c.lanes);
        f.sram_read[kWeight] = double(sr * sc) * wblk;
        f.sram_read[kAct] = double(sr * t) * ablk;
        f.out_sram = double(t * sc) * accb * (first ? 1 : 2);
        const bool last = k + R >= kb;
        if (last) f.out_sram += double(t * sc) * accb;  // read out for the store
        push(f, wl, al);
        if (last) store(t, sc);
      }
    }
  }

  // Output stationary over rows [m0, m1) x columns [n0, n1): R x C output tiles, each over all Kb blocks; operands are
  // broadcast along rows and columns, tiles stream back to back (sim/pe/pe_array.hpp), results leave through the
  // PEs' output FIFOs while the next tile runs.
  void os_block(std::int64_t m0, std::int64_t m1, std::int64_t n0, std::int64_t n1, std::int64_t wl, std::int64_t al) {
    const ArchConfig& a = c.arch;
    const std::int64_t R = a.rows, C = a.cols, t = kb;
    for (std::int64_t m = m0; m < m1; m += R)
      for (std::int64_t n = n0; n < n1; n += C) {
        const std::int64_t sr = std::min(R, m1 - m), sc = std::min(C, n1 - n);
        const std::int64_t step = std::max(bank_cycles(sr, ablk, a.act_sram), bank_cycles(sc, wblk, a.weight_sram));
        const std::int64_t drain = bank_cycles(sr * sc, accb, a.out_sram);  // the tile's results into the output SRAM
        Fold f{};
        f.sram_stall = t * (step - 1) + std::max<std::int64_t>(0, drain - t * step);
        f.cycles = t + f.sram_stall;
        f.busy = sr * sc * t;
        f.macs = double(sr) * double(sc) * double(g.k);
        f.sram_read[kWeight] = double(sc * t) * wblk;
        f.sram_read[kAct] = double(sr * t) * ablk;
        f.out_sram = double(sr * sc) * accb * 2;
        push(f, wl, al);
        store(sr, sc);
      }
  }

  void block(std::int64_t m0, std::int64_t m1, std::int64_t n0, std::int64_t n1, std::int64_t wl, std::int64_t al) {
    if (c.arch.dataflow == Dataflow::weight_stationary) ws_block(m0, m1, n0, n1, wl, al);
    else os_block(m0, m1, n0, n1, wl, al);
  }
};

// Rows of `row_bytes` that fit `slot`, rounded down to a multiple of `unit` when at least one unit fits.
std::int64_t fit_rows(double slot, double row_bytes, std::int64_t unit, std::int64_t limit) {
  std::int64_t r = static_cast<std::int64_t>(std::floor(slot / row_bytes));
  if (r >= unit) r -= r % unit;
  return std::min(r, limit);
}

}  // namespace

void plan_gemm(const PlanContext& c, const Gemm& g, GemmPlan& plan) {
  const ArchConfig& a = c.arch;
  const bool ws = a.dataflow == Dataflow::weight_stationary;
  const std::int64_t kb = ceil_div(g.k, c.lanes);
  const double wblk = lane_group_bytes(g.w_fmt, c.lanes), ablk = lane_group_bytes(g.a_fmt, c.lanes);
  const double accb = double((c.acc.width() + 7) / 8);
  const double wslot = a.weight_sram.bytes / 2, aslot = a.act_sram.bytes / 2, oslot = a.out_sram.bytes / 2;
  const double wrow = double(kb) * wblk, arow = double(kb) * ablk;
  const double wall = double(g.n) * wrow, aall = double(g.m) * arow;
  // WS: a block's T rows x C columns of partial sums live in one output buffer
  const std::int64_t out_rows = ws ? static_cast<std::int64_t>(std::floor(oslot / (double(a.cols) * accb))) : g.m;
  // order A: activation panels of mp rows resident, weights streamed C columns at a time (all of W once if it fits)
  const std::int64_t mp = std::min(fit_rows(aslot, arow, ws ? 1 : a.rows, g.m), out_rows);
  const bool order_a_ok = mp >= 1 && (wall <= wslot || double(std::min<std::int64_t>(a.cols, g.n)) * wrow <= wslot);
  // order W: weight panels of np columns resident, activations streamed mc rows at a time (all of A once if it fits)
  const std::int64_t np = fit_rows(wslot, wrow, a.cols, g.n);
  const std::int64_t mc = std::min(fit_rows(aslot, arow, ws ? 1 : a.rows, g.m), out_rows);
  const bool order_w_ok = np >= 1 && mc >= 1;
  if (!order_a_ok && !order_w_ok)
    throw std::invalid_argument("GEMM " + g.name + " (M " + std::to_string(g.m) + ", N " + std::to_string(g.n) +
                                ", K " + std::to_string(g.k) + ") does not fit the SRAM buffers of " + a.name +
                                ": one row of K needs " + std::to_string(static_cast<std::int64_t>(arow)) +
                                " activation / " + std::to_string(static_cast<std::int64_t>(wrow)) + " weight bytes");
  const double bytes_a = aall + (wall <= wslot ? wall : wall * double(ceil_div(g.m, std::max<std::int64_t>(mp, 1))));
  const double bytes_w = wall + (aall <= aslot ? aall : aall * double(ceil_div(g.n, std::max<std::int64_t>(np, 1))));
  const bool weights_resident = !order_a_ok || (order_w_ok && bytes_w < bytes_a);
  plan.weights_resident = weights_resident;
  // OS: the last tile's results leave the pipeline; counted as sim/pe/pe_array.hpp array_cycles counts (the edge that
  // takes the last result, edge 0 accepting the first block): tiles * Kb - 1 + LAT
  plan.tail_cycles = ws ? 0 : c.latency - 1;
  plan.panel = weights_resident ? np : mp;
  for (std::int64_t inst = 0; inst < g.count; ++inst) {
    Emitter e{c, g, plan, kb, wblk, ablk, accb};
    if (!weights_resident) {
      const std::int64_t w_all = wall <= wslot ? e.load(kWeight, wall) : -1;
      for (std::int64_t m = 0; m < g.m; m += mp) {
        const std::int64_t m1 = std::min(g.m, m + mp);
        const std::int64_t al = e.load(kAct, double(m1 - m) * arow);
        for (std::int64_t n = 0; n < g.n; n += a.cols) {
          const std::int64_t n1 = std::min(g.n, n + a.cols);
          const std::int64_t wl = w_all >= 0 ? w_all : e.load(kWeight, double(n1 - n) * wrow);
          e.block(m, m1, n, n1, wl, al);
        }
      }
    } else {
      const std::int64_t a_all = aall <= aslot ? e.load(kAct, aall) : -1;
      for (std::int64_t n = 0; n < g.n; n += np) {
        const std::int64_t n1 = std::min(g.n, n + np);
        const std::int64_t wl = e.load(kWeight, double(n1 - n) * wrow);
        for (std::int64_t m = 0; m < g.m; m += mc) {
          const std::int64_t m1 = std::min(g.m, m + mc);
          const std::int64_t al = a_all >= 0 ? a_all : e.load(kAct, double(m1 - m) * arow);
          e.block(m, m1, n, n1, wl, al);
        }
      }
    }
  }
}

}  // namespace mxlab::sim
