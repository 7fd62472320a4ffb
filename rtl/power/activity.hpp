// Switching activity of a gate-level netlist: iverilog runs the netlist (cell models written from the liberty by
// Yosys) under a generated testbench that applies one input vector per clock cycle and dumps a VCD of the top
// module's nets; the VCD is read back into 0->1 and 1->0 counts per netlist node.
#pragma once

#include <string>
#include <vector>

#include "netlist.hpp"

namespace mxlab::power {

struct Activity {
  long cycles = 0;               // clock cycles in the counted window
  std::vector<long> rises, falls;  // per netlist node (Netlist::node_names), 0->1 and 1->0 only (X/Z ignored)
  long toggles(int node) const { return rises[node] + falls[node]; }
};

struct SimulationSetup {
  std::string netlist_path;      // the Yosys netlist (read_netlist)
  std::string cell_models_path;  // Verilog models of the liberty's cells (write_cell_models)
  std::string clock = "clk";     // clock input port
  std::string reset;             // reset input port, "" for none
  bool reset_active_low = true;
  int reset_edges = 2;           // rising clock edges with reset asserted (>= 1) before the window opens
  double clock_period_ns = 10;   // simulated period; cell models have zero delay, so it only sets time stamps
  // Input ports in the vector file's column order (clock and reset excluded; all other inputs must be listed).
  std::vector<std::string> inputs;
  // One line per cycle, one hex value per input (bus ports: the bus as one number, MSB first); blank lines and
  // lines starting with '#' are skipped. The first vector is also applied during reset, so the window starts
  // without an artificial input transition.
  std::string vectors_path;
  std::string work_dir;          // testbench, simulator and VCD go here
  std::string iverilog = "iverilog", vvp = "vvp";
};

// Writes Verilog simulation models of every cell of `liberty_path` with Yosys
// (`read_liberty -ignore_miss_func; write_verilog -noattr`, as tests/rtl/gate_replay.cmake does).
void write_cell_models(const std::string& liberty_path, const std::string& out_path, const std::string& yosys = "yosys");

// Simulates and counts. Window: from 3/8 of a period after the last reset edge (reset released at 1/4) to 3/8 of a
// period after the last vector's rising edge: exactly one period per vector, every net stable at both ends.
// Throws std::runtime_error with the simulator's output when a tool fails.
Activity simulate_activity(const Netlist& netlist, const SimulationSetup& setup);

// Counts the transitions in a VCD of the netlist's top scope (what simulate_activity does after simulating): the
// values dumped by $dumpvars are initial states, every later 0->1 / 1->0 of a node counts once (a node several
// VCD variables alias, through assigns, is counted from one of them).
Activity count_vcd_toggles(const Netlist& netlist, const std::string& vcd_path, long cycles);

}  // namespace mxlab::power
