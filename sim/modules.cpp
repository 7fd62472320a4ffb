// SystemC modules of the accelerator (modules.hpp). One cycle of the array clock is 1 ns of simulated time.
#include "sim/modules.hpp"

#include <algorithm>
#include <cmath>

#include "sim/pe/sim_context.hpp"

namespace mxlab::sim {

using sc_core::sc_time;
using sc_core::SC_NS;

namespace {
const sc_time kCycle(1, SC_NS);
std::int64_t now_cycles() { return static_cast<std::int64_t>(sc_core::sc_time_stamp() / kCycle); }
}  // namespace

DramChannel::DramChannel(const sc_core::sc_module_name& n, const Job& job) : sc_core::sc_module(n), job_(job) {
  socket.register_b_transport(this, &DramChannel::b_transport);
}

void DramChannel::b_transport(int, tlm::tlm_generic_payload& t, sc_time& delay) {
  const DramConfig& d = job_.arch->dram;
  const double bytes = double(t.get_data_length());
  const double bursts = std::ceil(bytes / d.burst_bytes);
  const auto busy = static_cast<std::int64_t>(std::ceil(bursts * d.burst_bytes / d.bytes_per_cycle - 1e-9));
  const sc_time start = std::max(sc_core::sc_time_stamp() + delay, free_at_);
  free_at_ = start + busy * kCycle;
  delay = free_at_ + d.latency_cycles * kCycle - sc_core::sc_time_stamp();
  t.set_response_status(tlm::TLM_OK_RESPONSE);
}

PeArrayTiming::PeArrayTiming(const sc_core::sc_module_name& n, const Job& job)
    : sc_core::sc_module(n), job_(job) {
  SC_THREAD(run);
}

void PeArrayTiming::run() {
  {
    const GemmPlan& p = *job_.plan;
    Counters& c = *job_.out;
    for (std::size_t i = 0; i < p.folds.size(); ++i) {
      const Fold& f = p.folds[i];
      const std::int64_t t0 = now_cycles();
      board->wait_ready(f.load[kWeight]);
      board->wait_ready(f.load[kAct]);
      c.stall_dram += now_cycles() - t0;
      wait(f.cycles * kCycle);  // the fold: one transaction, its closed-form cycles (plan.hpp)
      c.fold_cycles += f.cycles, c.stall_sram += f.sram_stall, c.pe_busy += f.busy, c.macs += f.macs, ++c.folds;
      wbuf->count(f.sram_read[kWeight], 0);
      abuf->count(f.sram_read[kAct], 0);
      obuf->count(0, f.out_sram);
      for (int op : {kWeight, kAct})
        if (f.load[op] >= 0 && p.loads[f.load[op]].last_fold == static_cast<std::int64_t>(i))
          (op == kWeight ? wbuf : abuf)->release();
      if (f.store_bytes > 0) {
        const std::int64_t t1 = now_cycles();
        obuf->acquire();  // the next tile's buffer: free once the storer drained it
        c.stall_drain += now_cycles() - t1;
        to_store->write(f.store_bytes);
      }
    }
    wait(p.tail_cycles * kCycle);
    c.cycles = std::max(c.cycles, now_cycles());
  }
}

Controller::Controller(const sc_core::sc_module_name& n, const Job& job) : sc_core::sc_module(n), job_(job) {
  SC_THREAD(loader);
  SC_THREAD(storer);
}

sc_time Controller::dram(tlm_utils::simple_initiator_socket<Controller>& s, tlm::tlm_command cmd, std::int64_t bytes) {
  static unsigned char none;  // a timing transaction: the target reads only the length
  tlm::tlm_generic_payload t;
  t.set_command(cmd);
  t.set_address(0);
  t.set_data_ptr(&none);
  t.set_data_length(static_cast<unsigned>(std::min<std::int64_t>(bytes, 0xffffffff)));
  t.set_streaming_width(t.get_data_length());
  sc_time delay = sc_core::SC_ZERO_TIME;
  s->b_transport(t, delay);
  return delay;
}

void Controller::loader() {
  {
    const GemmPlan& p = *job_.plan;
    for (std::size_t i = 0; i < p.loads.size(); ++i) {
      const Load& l = p.loads[i];
      SramIf& buf = l.operand == kWeight ? *wbuf.operator->() : *abuf.operator->();
      buf.acquire();
      board->issued(static_cast<std::int64_t>(i), dram(load_socket, tlm::TLM_READ_COMMAND, l.bytes));
      buf.count(0, double(l.bytes));
      job_.out->dram_read += double(l.bytes);
    }
  }
}

void Controller::storer() {
  {
    std::int64_t stores = 0;
    for (const Fold& f : job_.plan->folds) stores += f.store_bytes > 0;
    for (std::int64_t s = 0; s < stores; ++s) {
      const std::int64_t bytes = from_array->read();
      wait(dram(store_socket, tlm::TLM_WRITE_COMMAND, bytes));
      job_.out->dram_write += double(bytes);
      obuf->release();
    }
    job_.out->cycles = std::max(job_.out->cycles, now_cycles());
  }
}

Accelerator::Accelerator(const sc_core::sc_module_name& n)
    : sc_core::sc_module(n),
      dram_("dram", job_),
      wbuf_("weight_sram", 2),
      abuf_("activation_sram", 2),
      obuf_("output_sram", 1),  // two buffers, one of them the array's own at any time
      board_("loads"),
      stores_("stores", 2),
      array_("pe_array", job_),
      ctrl_("controller", job_) {
  array_.wbuf(wbuf_), array_.abuf(abuf_), array_.obuf(obuf_), array_.board(board_), array_.to_store(stores_);
  ctrl_.wbuf(wbuf_), ctrl_.abuf(abuf_), ctrl_.obuf(obuf_), ctrl_.board(board_), ctrl_.from_array(stores_);
  ctrl_.load_socket.bind(dram_.socket);
  ctrl_.store_socket.bind(dram_.socket);
}

void Accelerator::run(const ArchConfig& arch, const GemmPlan& plan, Counters& out) {
  job_ = {&arch, &plan, &out};
  wbuf_.bind_counters(&out.sram_read[kWeight], &out.sram_write[kWeight]);
  abuf_.bind_counters(&out.sram_read[kAct], &out.sram_write[kAct]);
  obuf_.bind_counters(&out.sram_read[2], &out.sram_write[2]);
  board_.reset(plan.loads.size());
  run_simulation();  // the threads run the job once, from time 0, and the simulation starves when it is done
  job_ = {};
}

}  // namespace mxlab::sim
