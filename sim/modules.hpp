// The accelerator's SystemC modules (MatchLib style: ports, one SC_THREAD each, a wait() loop per job): a DRAM channel
// (TLM-2.0 target: bandwidth, latency, bursts), three double-buffered SRAM buffers, the PE-array timing model and the
// controller (a loader and a storer thread). Transaction-level: one transaction per fold (sim/plan.hpp).
// Each thread runs the job set before sc_start() once, from time 0.
#pragma once
#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include "sim/plan.hpp"

namespace mxlab::sim {

// What one run counts (cycles are array clock cycles; bytes are packed bytes of the formats).
struct Counters {
  std::int64_t cycles = 0;
  std::int64_t fold_cycles = 0;   // sum of the folds' closed-form cycles (array busy or filling/draining)
  std::int64_t stall_dram = 0;    // array idle waiting for a DRAM load
  std::int64_t stall_sram = 0;    // fold cycles stretched by SRAM bank conflicts
  std::int64_t stall_drain = 0;   // array idle waiting for an output buffer (the store of a finished tile)
  std::int64_t pe_busy = 0;       // PE-cycles that took a block pair
  std::int64_t folds = 0;
  double macs = 0;
  double dram_read = 0, dram_write = 0;
  double sram_read[3] = {0, 0, 0}, sram_write[3] = {0, 0, 0};  // weight, activation, output buffer
};

// The timing job of one run; modules read it while sc_start() runs.
struct Job {
  const ArchConfig* arch = nullptr;
  const GemmPlan* plan = nullptr;
  Counters* out = nullptr;
};

// One double-buffered SRAM: two slots the loader fills and the array frees; byte counters.
struct SramIf : virtual sc_core::sc_interface {
  virtual void acquire() = 0;  // blocks until a slot is free
  virtual void release() = 0;
  virtual void count(double read, double written) = 0;
};

class SramBuffer : public sc_core::sc_module, public SramIf {
 public:
  SramBuffer(const sc_core::sc_module_name& n, int slots) : sc_core::sc_module(n), slots_(slots) {}
  void bind_counters(double* read, double* written) { read_ = read, written_ = written; }
  void acquire() override { while (slots_ == 0) wait(freed_); --slots_; }
  void release() override { ++slots_, freed_.notify(sc_core::SC_ZERO_TIME); }
  void count(double r, double w) override { *read_ += r, *written_ += w; }

 private:
  int slots_;
  sc_core::sc_event freed_;
  double *read_ = nullptr, *written_ = nullptr;
};

// Which DRAM loads have landed in SRAM (a load is issued, then lands `delay` later; the loader does not wait).
struct LoadBoardIf : virtual sc_core::sc_interface {
  virtual void issued(std::int64_t load, const sc_core::sc_time& lands_in) = 0;
  virtual void wait_ready(std::int64_t load) = 0;
};

class LoadBoard : public sc_core::sc_module, public LoadBoardIf {
 public:
  explicit LoadBoard(const sc_core::sc_module_name& n) : sc_core::sc_module(n) {}
  void reset(std::size_t loads) { lands_.assign(loads, sc_core::SC_ZERO_TIME), issued_.assign(loads, 0); }
  void issued(std::int64_t l, const sc_core::sc_time& in) override {
    lands_[l] = sc_core::sc_time_stamp() + in, issued_[l] = 1, issue_.notify(sc_core::SC_ZERO_TIME);
  }
  void wait_ready(std::int64_t l) override {
    if (l < 0) return;
    while (!issued_[l]) wait(issue_);
    if (lands_[l] > sc_core::sc_time_stamp()) wait(lands_[l] - sc_core::sc_time_stamp());
  }

 private:
  std::vector<sc_core::sc_time> lands_;
  std::vector<char> issued_;
  sc_core::sc_event issue_;
};

// The DRAM channel: a TLM-2.0 target (any number of initiators); a request of B bytes occupies the channel for
// ceil(ceil(B / burst) * burst / bytes_per_cycle) cycles after it is free, and completes `latency` cycles later.
class DramChannel : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<DramChannel> socket{"socket"};
  DramChannel(const sc_core::sc_module_name& n, const Job& job);

 private:
  void b_transport(int id, tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  const Job& job_;
  sc_core::sc_time free_at_ = sc_core::SC_ZERO_TIME;
};

// The PE array's timing: one fold per transaction, after its loads landed; frees input slots, hands finished tiles to
// the storer through the output buffer.
class PeArrayTiming : public sc_core::sc_module {
 public:
  sc_core::sc_port<SramIf> wbuf{"wbuf"}, abuf{"abuf"}, obuf{"obuf"};
  sc_core::sc_port<LoadBoardIf> board{"board"};
  sc_core::sc_fifo_out<std::int64_t> to_store{"to_store"};
  SC_HAS_PROCESS(PeArrayTiming);
  PeArrayTiming(const sc_core::sc_module_name& n, const Job& job);

 private:
  void run();
  const Job& job_;
};

// The controller: the loader walks the plan's loads (a free slot, then a DRAM read it does not wait for: requests
// queue in the channel), the storer writes finished output tiles to DRAM and frees their buffer when written.
class Controller : public sc_core::sc_module {
 public:
  sc_core::sc_port<SramIf> wbuf{"wbuf"}, abuf{"abuf"}, obuf{"obuf"};
  sc_core::sc_port<LoadBoardIf> board{"board"};
  sc_core::sc_fifo_in<std::int64_t> from_array{"from_array"};
  tlm_utils::simple_initiator_socket<Controller> load_socket{"load_socket"}, store_socket{"store_socket"};
  SC_HAS_PROCESS(Controller);
  Controller(const sc_core::sc_module_name& n, const Job& job);

 private:
  void loader();
  void storer();
  // Issues a transfer; returns the time until it completes (the channel queues requests: bandwidth and latency).
  sc_core::sc_time dram(tlm_utils::simple_initiator_socket<Controller>& s, tlm::tlm_command cmd, std::int64_t bytes);
  const Job& job_;
};

// The top: DRAM, the three SRAM buffers, the array and the controller; run() simulates the one job of this
// elaboration (a fresh SystemC context per run: sim/pe/sim_context.hpp fresh_sim_context).
class Accelerator : public sc_core::sc_module {
 public:
  explicit Accelerator(const sc_core::sc_module_name& n);
  void run(const ArchConfig& arch, const GemmPlan& plan, Counters& out);  // outside any process: calls sc_start

 private:
  Job job_;
  DramChannel dram_;
  SramBuffer wbuf_, abuf_, obuf_;
  LoadBoard board_;
  sc_core::sc_fifo<std::int64_t> stores_;
  PeArrayTiming array_;
  Controller ctrl_;
};

}  // namespace mxlab::sim
