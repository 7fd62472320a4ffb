// Energy of a gate-level netlist from its simulated activity and the liberty: switching (1/2 C V^2 per net
// transition), internal (the cells' internal_power tables per transition) and leakage (cell leakage x time).
#pragma once

#include <string>
#include <vector>

#include "activity.hpp"
#include "liberty.hpp"
#include "netlist.hpp"

namespace mxlab::power {

struct EnergyOptions {
  double clock_period_s = 10e-9;  // leakage integrates over cycles x this period
  // Transition time at every primary input (clock included). Default 0: what OpenSTA assumes without
  // set_input_transition, which rtl/synth/sta.tcl.in does not set; tables extrapolate linearly below their grid.
  double input_transition_s = 0;
  double voltage_v = 0;       // supply; 0: the library's nominal voltage
  std::string wire_load;      // wire-load model; "": the library's default_wire_load (none: no wire capacitance)
};

// Per node: what the switching and internal energy were computed from.
struct NodeLoad {
  int fanout = 0;         // cell input pins + top-level output ports on the node
  double pin_cap_f = 0;   // sum of the fanout input pins' `capacitance`
  double wire_cap_f = 0;  // wire-load model capacitance for `fanout`
  double slew_s = 0;      // propagated transition time (worst of rise/fall over the driver's arcs)
  double load_f() const { return pin_cap_f + wire_cap_f; }
};

struct EnergyReport {
  long cycles = 0;
  double switching_j = 0, internal_j = 0, leakage_j = 0;  // totals over the simulated window
  std::vector<NodeLoad> nodes;                             // indexed like Netlist::node_names
  double total_j() const { return switching_j + internal_j + leakage_j; }
  // Report lines in pJ: per cycle and, when macs > 0, per MAC (macs = MACs done in the window).
  std::string summary(double macs = 0) const;
};

// Throws std::runtime_error when a netlist cell is missing from the library or the logic has a combinational loop.
//  - switching: each 0->1 or 1->0 of a node costs 1/2 C V^2, C = NodeLoad::load_f (primary inputs and the clock
//    included: their drivers charge the netlist's pins);
//  - internal: each transition of a cell output costs that pin's rise_power/fall_power at (input transition of the
//    related pin, output load); arcs of several related pins are weighted by those pins' transition counts (OpenSTA
//    weights by related-pin activity too), groups of one arc with different `when` states are averaged; each
//    transition of a cell input with its own internal_power (e.g. a flop's CLK and D) costs its table at the node's
//    transition time;
//  - leakage: sum of Cell::leakage_w x cycles x clock period.
EnergyReport compute_energy(const Library& lib, const Netlist& nl, const Activity& act, const EnergyOptions& opt);

}  // namespace mxlab::power
