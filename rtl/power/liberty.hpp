// Liberty (.lib) reader for gate-level energy: library units, nominal voltage, wire-load models and, per cell, area,
// leakage, pin capacitances, internal-power tables and output-transition tables. All values are stored in SI units.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mxlab::power {

// A NLDM lookup table (Liberty `values` with `index_1`/`index_2` from the table or its template), indexed by input
// transition and/or output load whatever order the template's `variable_1`/`variable_2` name them in.
struct Table {
  enum class Axis { kInputTransition, kOutputLoad };
  std::vector<Axis> axes;                  // 0 (scalar), 1 or 2 axes
  std::vector<std::vector<double>> index;  // per axis, SI (seconds, farads)
  std::vector<double> values;              // row-major over index[0] x index[1], SI

  bool empty() const { return values.empty(); }
  // Bilinear interpolation inside the grid and linear extrapolation outside it (the segment nearest the point), as
  // OpenSTA's TableModel does; an axis the table lacks is ignored. Arguments in seconds and farads.
  double lookup(double input_transition_s, double load_f) const;
};

// One `internal_power` group of a pin: energy per output (or, on an input pin, per own) rise and fall transition.
struct InternalPower {
  std::string related_pin;  // empty on input pins' own power
  std::string when;         // state condition, kept for reporting; groups of the same arc are averaged
  Table rise, fall;         // joules
};

// One `timing` group of an output pin (only what slew propagation needs).
struct TimingArc {
  std::vector<std::string> related_pins;
  std::string timing_type;                 // e.g. combinational, rising_edge, setup_rising
  Table rise_transition, fall_transition;  // seconds
};

enum class Direction { kInput, kOutput, kInout, kInternal };

struct Pin {
  std::string name;
  Direction direction = Direction::kInput;
  double capacitance_f = 0;  // `capacitance`, else the mean of rise/fall_capacitance, else the library default
  double rise_capacitance_f = 0, fall_capacitance_f = 0;
  bool clock = false;        // `clock : true`
  std::vector<InternalPower> internal_power;
  std::vector<TimingArc> timing;
};

struct Cell {
  std::string name;
  double area = 0;  // library area units (sky130: um^2)
  // `cell_leakage_power` when present (in sky130 the unweighted mean of the `leakage_power` `when` states to 1e-7 nW:
  // inv_1 0.0053266820 nW vs (0.0104575 + 0.0001958) / 2 = 0.00532665); else that mean; else `default_cell_leakage_power`. Watts.
  double leakage_w = 0;
  bool sequential = false;  // has an ff, latch or statetable group
  std::vector<Pin> pins;
  const Pin* find_pin(const std::string& name) const;
};

// A `wire_load` group: the wire capacitance of a net from its fanout count (Liberty: length from the fanout_length
// table, beyond its last entry extrapolated with `slope`; capacitance = length * per-length `capacitance`).
struct WireLoad {
  std::string name;
  double capacitance_per_length_f = 0;
  double slope = 0;
  std::vector<std::pair<int, double>> fanout_length;  // ascending fanout
  // Wire capacitance (farads) of a net with `fanout` loads: 0 for no load; below the first entry, fanout * slope
  // (OpenSTA Wireload::findWireload); between entries, linear; beyond the last, last + (fanout - last) * slope.
  double capacitance_f(int fanout) const;
};

// Scale factors from the library's units to SI.
struct Units {
  double time_s = 1e-9;         // time_unit
  double capacitance_f = 1e-12; // capacitive_load_unit
  double voltage_v = 1;         // voltage_unit
  double leakage_w = 1e-9;      // leakage_power_unit
  // internal_power table values: Liberty gives them no unit of their own; they are energies in
  // capacitive_load_unit * voltage_unit^2 (OpenSTA LibertyReader::setEnergyScale: volt * volt * cap); sky130: pJ.
  double energy_j() const { return capacitance_f * voltage_v * voltage_v; }
};

struct Library {
  std::string name;
  Units units;
  double nominal_voltage_v = 0;  // `nom_voltage`, else the default operating_conditions' `voltage`
  std::string default_wire_load;
  std::map<std::string, WireLoad> wire_loads;
  std::map<std::string, Cell> cells;

  const Cell& cell(const std::string& name) const;           // throws when the library has no such cell
  const WireLoad* default_wire_load_model() const;           // nullptr when the library names none
};

// Parses a Liberty file; throws std::runtime_error "liberty <path>:<line>: <what>" on malformed input.
Library read_liberty(const std::string& path);
// The same from text (`origin` names it in messages).
Library parse_liberty(const std::string& text, const std::string& origin);

}  // namespace mxlab::power
