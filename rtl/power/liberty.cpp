// Liberty reader: the interpretation of the few attributes gate-level energy needs (liberty.hpp) on the generic
// group/attribute tree of liberty_syntax.hpp; table lookup and wire-load rules.
#include "liberty.hpp"
#include "liberty_syntax.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mxlab::power {
namespace {

using detail::Node;
using detail::Parser;

double number(const Parser& p, int line, const std::string& s, const std::string& what) {
  try {
    std::size_t used = 0;
    double v = std::stod(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  p.fail(line, what + ": '" + s + "' is not a number");
}

std::vector<double> number_list(const Parser& p, int line, const std::vector<std::string>& args, double scale,
                                const std::string& what) {
  std::vector<double> out;
  for (const std::string& a : args) {  // each argument is "v1, v2, ..." (a quoted list) or a bare number
    std::stringstream ss(a);
    std::string item;
    while (std::getline(ss, item, ',')) {
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) out.push_back(number(p, line, item, what) * scale);
    }
  }
  return out;
}

// "1ns", "10ps", "1nW", "1V", "1mV": the value of one unit in SI; `base` is the SI symbol (s, W, V).
double unit_scale(const Parser& p, int line, std::string s, const std::string& base) {
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  double mult = i ? number(p, line, s.substr(0, i), "unit") : 1.0;
  std::string rest = s.substr(i);
  if (rest.size() < base.size() || rest.compare(rest.size() - base.size(), base.size(), base) != 0)
    p.fail(line, "unit '" + s + "' is not in " + base);
  std::string prefix = rest.substr(0, rest.size() - base.size());
  static const std::map<std::string, double> kPrefix = {{"", 1}, {"m", 1e-3}, {"u", 1e-6}, {"n", 1e-9},
                                                         {"p", 1e-12}, {"f", 1e-15}};
  auto it = kPrefix.find(prefix);
  if (it == kPrefix.end()) p.fail(line, "unit '" + s + "' has an unknown prefix");
  return mult * it->second;
}

struct Templates {
  std::map<std::string, const Node*> by_name;
};

Table read_table(const Parser& p, const Node& g, const Templates& t, const Units& u, double value_scale) {
  Table tab;
  const Node* tmpl = nullptr;
  if (!g.args.empty() && g.args[0] != "scalar") {
    auto it = t.by_name.find(g.args[0]);
    if (it == t.by_name.end()) p.fail(g.line, g.type + " uses undefined template '" + g.args[0] + "'");
    tmpl = it->second;
  }
  for (int k = 1; k <= 2 && tmpl; ++k) {
    const std::string* var = tmpl->attr("variable_" + std::to_string(k));
    if (!var) break;
    Table::Axis axis;
    double scale;
    if (*var == "input_transition_time" || *var == "input_net_transition") axis = Table::Axis::kInputTransition, scale = u.time_s;
    else if (*var == "total_output_net_capacitance") axis = Table::Axis::kOutputLoad, scale = u.capacitance_f;
    else p.fail(g.line, g.type + ": template variable '" + *var + "' is not an input transition or output load");
    const std::string key = "index_" + std::to_string(k);
    const std::vector<std::string>* idx = g.complex_attr(key);
    if (!idx) idx = tmpl->complex_attr(key);
    if (!idx) p.fail(g.line, g.type + " has no " + key);
    tab.axes.push_back(axis);
    tab.index.push_back(number_list(p, g.line, *idx, scale, key));
    if (tab.index.back().empty()) p.fail(g.line, g.type + ": empty " + key);
  }
  const std::vector<std::string>* vals = g.complex_attr("values");
  if (!vals) p.fail(g.line, g.type + " has no values");
  tab.values = number_list(p, g.line, *vals, value_scale, "values");
  std::size_t want = 1;
  for (const auto& ix : tab.index) want *= ix.size();
  if (tab.values.size() != want)
    p.fail(g.line, g.type + " has " + std::to_string(tab.values.size()) + " values, its indices need " + std::to_string(want));
  return tab;
}

std::vector<std::string> split_words(const std::string& s) {
  std::stringstream ss(s);
  std::vector<std::string> out;
  for (std::string w; ss >> w;) out.push_back(w);
  return out;
}

Pin read_pin(const Parser& p, const Node& g, const std::string& name, const Templates& t, const Units& u, double def_cap) {
  Pin pin;
  pin.name = name;
  const std::string* dir = g.attr("direction");
  if (!dir) p.fail(g.line, "pin " + name + " has no direction");
  if (*dir == "input") pin.direction = Direction::kInput;
  else if (*dir == "output") pin.direction = Direction::kOutput;
  else if (*dir == "inout") pin.direction = Direction::kInout;
  else if (*dir == "internal") pin.direction = Direction::kInternal;
  else p.fail(g.line, "pin " + name + ": unknown direction '" + *dir + "'");
  auto cap = [&](const char* key) -> double {
    const std::string* v = g.attr(key);
    return v ? number(p, g.line_of(key), *v, key) * u.capacitance_f : -1;
  };
  double c = cap("capacitance"), r = cap("rise_capacitance"), f = cap("fall_capacitance");
  pin.capacitance_f = c >= 0 ? c : (r >= 0 && f >= 0 ? 0.5 * (r + f) : def_cap);
  pin.rise_capacitance_f = r >= 0 ? r : pin.capacitance_f;
  pin.fall_capacitance_f = f >= 0 ? f : pin.capacitance_f;
  if (const std::string* ck = g.attr("clock")) pin.clock = *ck == "true";
  for (const Node& s : g.groups) {
    if (s.type == "internal_power") {
      InternalPower ip;
      if (const std::string* rp = s.attr("related_pin")) ip.related_pin = *rp;
      if (const std::string* w = s.attr("when")) ip.when = *w;
      for (const Node& tb : s.groups) {
        if (tb.type == "rise_power") ip.rise = read_table(p, tb, t, u, u.energy_j());
        else if (tb.type == "fall_power") ip.fall = read_table(p, tb, t, u, u.energy_j());
        else if (tb.type == "power") ip.rise = ip.fall = read_table(p, tb, t, u, u.energy_j());
      }
      pin.internal_power.push_back(std::move(ip));
    } else if (s.type == "timing") {
      TimingArc arc;
      if (const std::string* rp = s.attr("related_pin")) arc.related_pins = split_words(*rp);
      if (const std::string* tt = s.attr("timing_type")) arc.timing_type = *tt;
      for (const Node& tb : s.groups) {
        if (tb.type == "rise_transition") arc.rise_transition = read_table(p, tb, t, u, u.time_s);
        else if (tb.type == "fall_transition") arc.fall_transition = read_table(p, tb, t, u, u.time_s);
      }
      pin.timing.push_back(std::move(arc));
    }
  }
  return pin;
}

Cell read_cell(const Parser& p, const Node& g, const Templates& t, const Units& u, double def_leak, double def_cap) {
  if (g.args.size() != 1) p.fail(g.line, "cell group needs one name");
  Cell cell;
  cell.name = g.args[0];
  if (const std::string* a = g.attr("area")) cell.area = number(p, g.line_of("area"), *a, "area");
  double state_sum = 0;
  int states = 0;
  for (const Node& s : g.groups) {
    if (s.type == "pin") {
      for (const std::string& n : s.args) cell.pins.push_back(read_pin(p, s, n, t, u, def_cap));
    } else if (s.type == "leakage_power") {
      const std::string* v = s.attr("value");
      if (!v) p.fail(s.line, "leakage_power of " + cell.name + " has no value");
      state_sum += number(p, s.line_of("value"), *v, "leakage value");
      ++states;
    } else if (s.type == "ff" || s.type == "latch" || s.type == "statetable" || s.type == "ff_bank" ||
               s.type == "latch_bank") {
      cell.sequential = true;
    }
  }
  if (const std::string* l = g.attr("cell_leakage_power")) cell.leakage_w = number(p, g.line_of("cell_leakage_power"), *l, "cell_leakage_power") * u.leakage_w;
  else if (states) cell.leakage_w = state_sum / states * u.leakage_w;
  else cell.leakage_w = def_leak;
  return cell;
}

}  // namespace

double Table::lookup(double input_transition_s, double load_f) const {
  if (values.empty()) throw std::logic_error("lookup in an empty liberty table");
  // per axis: the segment [i, i+1] nearest x (clamped to the ends, so points outside extrapolate) and the weight
  auto locate = [](const std::vector<double>& ix, double x, std::size_t& i, double& w) {
    if (ix.size() == 1) { i = 0; w = 0; return; }
    i = 0;
    while (i + 2 < ix.size() && x > ix[i + 1]) ++i;
    w = (x - ix[i]) / (ix[i + 1] - ix[i]);
  };
  auto coord = [&](std::size_t a) { return axes[a] == Axis::kInputTransition ? input_transition_s : load_f; };
  if (axes.empty()) return values[0];
  std::size_t i0, i1 = 0;
  double w0, w1 = 0;
  locate(index[0], coord(0), i0, w0);
  if (axes.size() == 1) return index[0].size() == 1 ? values[0] : values[i0] * (1 - w0) + values[i0 + 1] * w0;
  locate(index[1], coord(1), i1, w1);
  const std::size_t n1 = index[1].size();
  auto v = [&](std::size_t a, std::size_t b) {
    return values[std::min(a, index[0].size() - 1) * n1 + std::min(b, n1 - 1)];
  };
  return (1 - w0) * (1 - w1) * v(i0, i1) + w0 * (1 - w1) * v(i0 + 1, i1) + (1 - w0) * w1 * v(i0, i1 + 1) +
         w0 * w1 * v(i0 + 1, i1 + 1);
}

double WireLoad::capacitance_f(int fanout) const {
  if (fanout <= 0) return 0;
  double length;
  if (fanout_length.empty() || fanout < fanout_length.front().first) {
    length = fanout * slope;
  } else if (fanout >= fanout_length.back().first) {
    length = fanout_length.back().second + (fanout - fanout_length.back().first) * slope;
  } else {
    std::size_t i = 0;
    while (fanout_length[i + 1].first < fanout) ++i;
    const auto& [f0, l0] = fanout_length[i];
    const auto& [f1, l1] = fanout_length[i + 1];
    length = l0 + (l1 - l0) * (fanout - f0) / static_cast<double>(f1 - f0);
  }
  return length * capacitance_per_length_f;
}

const Pin* Cell::find_pin(const std::string& n) const {
  for (const Pin& p : pins)
    if (p.name == n) return &p;
  return nullptr;
}

const Cell& Library::cell(const std::string& n) const {
  auto it = cells.find(n);
  if (it == cells.end()) throw std::runtime_error("liberty " + name + ": no cell '" + n + "'");
  return it->second;
}

const WireLoad* Library::default_wire_load_model() const {
  auto it = wire_loads.find(default_wire_load);
  return it == wire_loads.end() ? nullptr : &it->second;
}

Library parse_liberty(const std::string& text, const std::string& origin) {
  Parser p(text, origin);
  const Node top = p.parse_top();
  Library lib;
  lib.name = top.args.empty() ? origin : top.args[0];
  Units& u = lib.units;
  if (const std::string* v = top.attr("time_unit")) u.time_s = unit_scale(p, top.line_of("time_unit"), *v, "s");
  if (const std::string* v = top.attr("voltage_unit")) u.voltage_v = unit_scale(p, top.line_of("voltage_unit"), *v, "V");
  if (const std::string* v = top.attr("leakage_power_unit")) u.leakage_w = unit_scale(p, top.line_of("leakage_power_unit"), *v, "W");
  if (const auto* c = top.complex_attr("capacitive_load_unit")) {
    if (c->size() != 2) p.fail(top.line, "capacitive_load_unit needs (value, unit)");
    std::string unit = (*c)[1];
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (unit.size() != 2 || unit[1] != 'f') p.fail(top.line, "capacitive_load_unit '" + (*c)[1] + "' is not in farads");
    u.capacitance_f = number(p, top.line, (*c)[0], "capacitive_load_unit") * unit_scale(p, top.line, std::string(1, unit[0]) + "F", "F");
  }
  auto num_attr = [&](const Node& g, const char* key, double def) {
    const std::string* v = g.attr(key);
    return v ? number(p, g.line_of(key), *v, key) : def;
  };
  const double def_leak = num_attr(top, "default_cell_leakage_power", 0) * u.leakage_w;
  const double def_cap = num_attr(top, "default_input_pin_cap", 0) * u.capacitance_f;
  lib.nominal_voltage_v = num_attr(top, "nom_voltage", 0) * u.voltage_v;
  if (const std::string* d = top.attr("default_wire_load")) lib.default_wire_load = *d;
  Templates tmpl;
  for (const Node& g : top.groups) {
    if ((g.type == "power_lut_template" || g.type == "lu_table_template") && !g.args.empty()) tmpl.by_name[g.args[0]] = &g;
    if (g.type == "operating_conditions" && lib.nominal_voltage_v == 0 && !g.args.empty() &&
        top.attr("default_operating_conditions") && *top.attr("default_operating_conditions") == g.args[0])
      lib.nominal_voltage_v = num_attr(g, "voltage", 0) * u.voltage_v;
    if (g.type == "wire_load" && !g.args.empty()) {
      WireLoad w;
      w.name = g.args[0];
      w.capacitance_per_length_f = num_attr(g, "capacitance", 0) * u.capacitance_f;
      w.slope = num_attr(g, "slope", 0);
      for (const auto& [k, args] : g.complex_) {
        if (k != "fanout_length") continue;
        if (args.size() != 2) p.fail(g.line, "fanout_length needs (fanout, length)");
        w.fanout_length.emplace_back(static_cast<int>(number(p, g.line, args[0], "fanout")),
                                     number(p, g.line, args[1], "length"));
      }
      std::sort(w.fanout_length.begin(), w.fanout_length.end());
      lib.wire_loads[w.name] = std::move(w);
    }
  }
  if (lib.nominal_voltage_v <= 0) p.fail(top.line, "no nom_voltage and no voltage in the default operating_conditions");
  if (!lib.default_wire_load.empty() && !lib.wire_loads.count(lib.default_wire_load))
    p.fail(top.line, "default_wire_load '" + lib.default_wire_load + "' is not defined");
  for (const Node& g : top.groups)
    if (g.type == "cell") {
      Cell c = read_cell(p, g, tmpl, u, def_leak, def_cap);
      lib.cells[c.name] = std::move(c);
    }
  return lib;
}

Library read_liberty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("liberty " + path + ": cannot open the file (pass a readable .lib path)");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_liberty(ss.str(), path);
}

}  // namespace mxlab::power
