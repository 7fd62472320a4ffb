// Gate-level energy (energy.hpp): node loads from pin capacitances and the wire-load model, transition times
// propagated in topological order through the cells' rise/fall_transition tables, then the three energy parts.
#include "energy.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>

namespace mxlab::power {
namespace {

struct PinRef {
  int inst;
  const Pin* pin;
};

}  // namespace

EnergyReport compute_energy(const Library& lib, const Netlist& nl, const Activity& act, const EnergyOptions& opt) {
  const std::size_t n_nodes = nl.node_names.size();
  if (act.rises.size() != n_nodes || act.falls.size() != n_nodes)
    throw std::runtime_error("compute_energy: the activity does not belong to netlist " + nl.top);
  const double v = opt.voltage_v > 0 ? opt.voltage_v : lib.nominal_voltage_v;
  const WireLoad* wl = opt.wire_load.empty() ? lib.default_wire_load_model() : nullptr;
  if (!opt.wire_load.empty()) {
    auto it = lib.wire_loads.find(opt.wire_load);
    if (it == lib.wire_loads.end()) throw std::runtime_error("liberty " + lib.name + ": no wire_load '" + opt.wire_load + "'");
    wl = &it->second;
  }

  // cells, drivers and fanouts
  std::vector<const Cell*> cells;
  std::vector<int> driver(n_nodes, -1);
  std::vector<std::vector<PinRef>> fanout_pins(n_nodes);
  EnergyReport r;
  r.cycles = act.cycles;
  r.nodes.assign(n_nodes, NodeLoad{});
  for (std::size_t i = 0; i < nl.instances.size(); ++i) {
    const Netlist::Instance& inst = nl.instances[i];
    const Cell& cell = lib.cell(inst.cell);
    cells.push_back(&cell);
    for (const auto& [pin_name, node] : inst.pins) {
      const Pin* pin = cell.find_pin(pin_name);
      if (!pin) throw std::runtime_error("netlist " + nl.top + ": instance " + inst.name + " connects pin " + pin_name +
                                         " that cell " + cell.name + " does not have");
      if (node < 0) continue;
      if (pin->direction == Direction::kOutput) {
        if (driver[node] >= 0)
          throw std::runtime_error("netlist " + nl.top + ": node " + nl.node_names[node] + " has two drivers (" +
                                   nl.instances[driver[node]].name + ", " + inst.name + ")");
        driver[node] = static_cast<int>(i);
      } else if (pin->direction == Direction::kInput) {
        fanout_pins[node].push_back({static_cast<int>(i), pin});
        r.nodes[node].pin_cap_f += pin->capacitance_f;
        ++r.nodes[node].fanout;
      }
    }
  }
  for (const Netlist::Decl& d : nl.decls)  // a top-level output port is one more fanout for the wire-load model
    if (d.kind == Netlist::Decl::kOutput)
      for (const std::string& b : d.bits()) ++r.nodes[nl.node(b)].fanout;
  for (NodeLoad& n : r.nodes) n.wire_cap_f = wl ? wl->capacitance_f(n.fanout) : 0;

  // transition times: nodes without a driver (primary inputs, undriven) start at input_transition_s; a cell is
  // evaluated once the nodes of every related pin of its output arcs are known (flops: CLK and the async pins only)
  auto pin_node = [&](int inst, const std::string& pin) {
    for (const auto& [p, node] : nl.instances[inst].pins)
      if (p == pin) return node;
    return Netlist::kUnconnected;
  };
  std::vector<char> known(n_nodes, 0);
  std::vector<std::vector<int>> waiting(n_nodes);
  std::vector<int> pending(nl.instances.size(), 0);
  std::vector<int> ready;
  for (std::size_t n = 0; n < n_nodes; ++n)
    if (driver[n] < 0) { known[n] = 1; r.nodes[n].slew_s = opt.input_transition_s; }
  for (std::size_t i = 0; i < nl.instances.size(); ++i) {
    std::set<int> deps;
    for (const Pin& p : cells[i]->pins)
      if (p.direction == Direction::kOutput)
        for (const TimingArc& arc : p.timing)
          for (const std::string& rp : arc.related_pins)
            if (int node = pin_node(static_cast<int>(i), rp); node >= 0 && !known[node]) deps.insert(node);
    pending[i] = static_cast<int>(deps.size());
    for (int d : deps) waiting[d].push_back(static_cast<int>(i));
    if (deps.empty()) ready.push_back(static_cast<int>(i));
  }
  std::size_t done = 0;
  while (!ready.empty()) {
    int i = ready.back();
    ready.pop_back();
    ++done;
    for (const auto& [pin_name, out] : nl.instances[i].pins) {
      const Pin* p = cells[i]->find_pin(pin_name);
      if (out < 0 || p->direction != Direction::kOutput) continue;
      double slew = p->timing.empty() ? opt.input_transition_s : 0;
      for (const TimingArc& arc : p->timing)
        for (const std::string& rp : arc.related_pins) {
          int in = pin_node(i, rp);
          double s_in = in >= 0 ? r.nodes[in].slew_s : opt.input_transition_s;
          for (const Table* t : {&arc.rise_transition, &arc.fall_transition})
            if (!t->empty()) slew = std::max(slew, t->lookup(s_in, r.nodes[out].load_f()));
        }
      r.nodes[out].slew_s = slew;
      known[out] = 1;
      for (int w : waiting[out])
        if (--pending[w] == 0) ready.push_back(w);
    }
  }
  if (done != nl.instances.size())
    for (std::size_t i = 0; i < nl.instances.size(); ++i)
      if (pending[i] > 0)
        throw std::runtime_error("netlist " + nl.top + ": combinational loop through instance " + nl.instances[i].name);

  // switching: 1/2 C V^2 per transition of every node
  for (std::size_t n = 0; n < n_nodes; ++n) r.switching_j += 0.5 * r.nodes[n].load_f() * v * v * act.toggles(static_cast<int>(n));

  // internal: output pins (arcs weighted by related-pin activity) and input pins' own tables
  for (std::size_t i = 0; i < nl.instances.size(); ++i) {
    for (const auto& [pin_name, node] : nl.instances[i].pins) {
      const Pin* p = cells[i]->find_pin(pin_name);
      if (node < 0 || p->internal_power.empty() || act.toggles(node) == 0) continue;
      // per related pin ("" for an input's own power): mean rise and fall energy over its `when` groups
      std::map<std::string, std::pair<double, double>> sum;
      std::map<std::string, int> count;
      for (const InternalPower& ip : p->internal_power) {
        int rel = ip.related_pin.empty() ? node : pin_node(static_cast<int>(i), ip.related_pin);
        double s_in = rel >= 0 ? r.nodes[rel].slew_s : opt.input_transition_s;
        double load = p->direction == Direction::kOutput ? r.nodes[node].load_f() : 0;
        auto& [er, ef] = sum[ip.related_pin];
        er += ip.rise.empty() ? 0 : ip.rise.lookup(s_in, load);
        ef += ip.fall.empty() ? 0 : ip.fall.lookup(s_in, load);
        ++count[ip.related_pin];
      }
      double weight_sum = 0, e_rise = 0, e_fall = 0;
      for (const auto& [rp, e] : sum) {
        int rel = rp.empty() ? node : pin_node(static_cast<int>(i), rp);
        double w = rel >= 0 ? static_cast<double>(act.toggles(rel)) : 0;
        weight_sum += w;
        e_rise += w * e.first / count[rp];
        e_fall += w * e.second / count[rp];
      }
      if (weight_sum == 0) {  // no related pin toggled (e.g. only X edges): every arc weighs the same
        for (const auto& [rp, e] : sum) { e_rise += e.first / count[rp]; e_fall += e.second / count[rp]; }
        weight_sum = static_cast<double>(sum.size());
      }
      r.internal_j += (act.rises[node] * e_rise + act.falls[node] * e_fall) / weight_sum;
    }
  }

  for (const Cell* c : cells) r.leakage_j += c->leakage_w;
  r.leakage_j *= opt.clock_period_s * static_cast<double>(act.cycles);
  return r;
}

std::string EnergyReport::summary(double macs) const {
  char buf[512];
  const double c = cycles > 0 ? static_cast<double>(cycles) : 1;
  std::snprintf(buf, sizeof buf,
                "energy over %ld cycles: total %.6g pJ (switching %.6g, internal %.6g, leakage %.6g)\n"
                "per cycle: %.6g pJ (switching %.6g, internal %.6g, leakage %.6g)\n",
                cycles, total_j() * 1e12, switching_j * 1e12, internal_j * 1e12, leakage_j * 1e12, total_j() * 1e12 / c,
                switching_j * 1e12 / c, internal_j * 1e12 / c, leakage_j * 1e12 / c);
  std::string s = buf;
  if (macs > 0) {
    std::snprintf(buf, sizeof buf, "per MAC (%.6g MACs): %.6g pJ (switching %.6g, internal %.6g, leakage %.6g)\n", macs,
                  total_j() * 1e12 / macs, switching_j * 1e12 / macs, internal_j * 1e12 / macs, leakage_j * 1e12 / macs);
    s += buf;
  }
  return s;
}

}  // namespace mxlab::power
