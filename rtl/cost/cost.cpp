// `mxlab cost` library (cost.hpp): synthesis through rtl/synth/synth_unit.cmake, OpenSTA's vectorless power, gate-level
// energy through rtl/power/, every result cached under a content hash of what produced it.
#include "rtl/cost/cost.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include "activity.hpp"
#include "energy.hpp"
#include "liberty.hpp"
#include "netlist.hpp"
#include "rtl/cost/hash.hpp"

namespace mxlab::cost {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A suffix unique to this process: concurrent `mxlab cost` runs sharing a cache never share a temporary.
std::string pid_suffix() { return ".tmp" + std::to_string(::getpid()); }

void write_atomic(const fs::path& p, const std::string& text) {
  const fs::path tmp = p.string() + pid_suffix();
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, p);
}

// Runs a shell command with its output in `log`; throws "<what> failed: <last lines>" on a non-zero status.
void run(const std::string& cmd, const fs::path& log, const std::string& what) {
  if (std::system((cmd + " > " + quote(log.string()) + " 2>&1").c_str()) != 0) {
    std::string out = fs::exists(log) ? read_text(log) : "";
    if (out.size() > 1500) out.erase(0, out.size() - 1500);
    throw std::runtime_error(what + " failed: " + out);
  }
}

std::string first_line_of(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen((cmd + " 2>&1").c_str(), "r"), pclose);
  std::array<char, 256> buf{};
  std::string line;
  if (p && std::fgets(buf.data(), buf.size(), p.get())) line = buf.data();
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

// `set(NAME "value")` lines of a config.cmake written by rtl/synth/synth.cmake.
std::map<std::string, std::string> read_config(const fs::path& p) {
  if (!fs::exists(p))
    throw std::runtime_error("no synthesis configuration " + p.string() +
                             " (the flow needs yosys, sta and the liberty at configure time; scripts/install-deps)");
  std::map<std::string, std::string> cfg;
  static const std::regex line(R"re(set\((\w+) "?([^"]*)"?\))re");
  std::istringstream in(read_text(p));
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_match(l, m, line)) cfg[m[1]] = m[2];
  }
  return cfg;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ';');)
    if (!x.empty()) out.push_back(x);
  return out;
}

struct Tools {  // versions hashed into the keys and shown in reports
  std::string yosys, sta, iverilog;
};

struct Synth {
  std::string key, dir, unit_name, top, params, netlist, flat;
  bool cached = false;
  json report;
  double vectorless_w = 0;
};

class Runner {
 public:
  Runner(const CostOptions& o, const Flow& f) : opt_(o), flow_(f) {
    cache_ = opt_.cache_dir.empty() ? flow_.default_cache_dir : opt_.cache_dir;
    liberty_ = opt_.liberty.empty() ? flow_.default_liberty : opt_.liberty;
    if (!fs::exists(liberty_)) throw std::invalid_argument("liberty " + liberty_ + ": no such file");
    if (!(opt_.clock_ns > 0)) throw std::invalid_argument("--clock-ns must be positive");
    if (opt_.depth && (*opt_.depth < 1 || *opt_.depth > 4)) throw std::invalid_argument("--depth must be 1..4");
    fs::create_directories(cache_);
    tools_ = {first_line_of(quote(flow_.yosys) + " -V"), first_line_of(quote(flow_.sta) + " -version"),
              first_line_of(quote(flow_.iverilog) + " -V")};
    ContentHash lh;
    lh.add_file(liberty_).add(flow_.dont_use_pattern).add_file(flow_.dont_use_script);
    lib_key_ = lh.hex();
    lib_copy_ = (fs::path(cache_) / ("liberty-" + lib_key_ + ".lib")).string();
    ContentHash fh;
    for (const std::string& f : flow_.flow_files) fh.add_file(f);
    flow_key_ = fh.hex();
  }

  void say(const std::string& s) const {
    if (opt_.progress) opt_.progress(s);
  }

  const power::Library& library() {
    if (!fs::exists(lib_copy_)) {
      say("[cost] liberty copy with '" + flow_.dont_use_pattern + "' dont_use: " + lib_copy_);
      run(quote(flow_.cmake) + " -DIN=" + quote(liberty_) + " -DOUT=" + quote(lib_copy_) + " -DPATTERN=" +
              quote(flow_.dont_use_pattern) + " -P " + quote(flow_.dont_use_script),
          lib_copy_ + ".log", "dont_use liberty copy");
    }
    if (!lib_) lib_ = std::make_unique<power::Library>(power::read_liberty(lib_copy_));
    return *lib_;
  }

  Synth synth(const rtl::UnitConfig& u) {
    std::map<std::string, std::string> cfg = read_config(fs::path(flow_.synth_dir) / u.name / "config.cmake");
    std::vector<std::string> params = split_list(cfg["PARAMS"]);
    std::string name = u.name;
    if (opt_.depth) {
      std::erase_if(params, [](const std::string& p) { return p.rfind("DEPTH=", 0) == 0; });
      params.push_back("DEPTH=" + std::to_string(*opt_.depth));
      name += ".depth" + std::to_string(*opt_.depth);
    }
    std::string plist;
    for (const std::string& p : params) plist += (plist.empty() ? "" : ";") + p;
    library();  // the dont_use copy exists before Yosys reads it
    char clock[32];
    std::snprintf(clock, sizeof clock, "%.3f", opt_.clock_ns);
    ContentHash h;
    h.add("synth-1").add(cfg["TOP"]).add(plist).add(lib_key_).add(cfg["ABC_SCRIPT"]).add(cfg["TIE_CELL"]).add(clock);
    h.add(tools_.yosys).add(tools_.sta).add(flow_key_);
    // the sources as hashed are the sources synthesized: a snapshot, so an edit during the run cannot mislabel it
    std::vector<std::pair<std::string, std::string>> sources;
    for (const std::string& src : split_list(cfg["SOURCES"])) {
      auto it = source_text_.find(src);  // read once per run: every unit of one table sees the same RTL
      if (it == source_text_.end()) it = source_text_.emplace(src, read_text(src)).first;
      sources.emplace_back(fs::path(src).filename().string(), it->second);
      h.add(sources.back().first).add(sources.back().second);
    }
    Synth s;
    s.key = h.hex(), s.unit_name = name, s.top = cfg["TOP"], s.params = plist;
    s.dir = (fs::path(cache_) / ("synth-" + s.key)).string();
    s.netlist = s.dir + "/" + name + "_netlist.v", s.flat = s.dir + "/" + name + "_flat.v";
    const fs::path report = fs::path(s.dir) / "report.json", power = fs::path(s.dir) / "vectorless.json";
    s.cached = fs::exists(report) && fs::exists(power);
    if (s.cached) {
      say("[cost] " + name + ": synthesis cached (" + s.key.substr(0, 12) + ")");
    } else {
      const fs::path tmp = s.dir + pid_suffix();
      fs::remove_all(tmp);
      fs::create_directories(tmp);
      std::string snapshot;
      fs::create_directories(tmp / "src");
      for (const auto& [file, text] : sources) {
        write_atomic(tmp / "src" / file, text);
        snapshot += (snapshot.empty() ? "" : ";") + (tmp / "src" / file).string();
      }
      std::ostringstream c;
      c << "# GENERATED by mxlab cost (rtl/cost/cost.cpp) for " << name << "\n";
      auto set = [&](const char* k, const std::string& v) { c << "set(" << k << " \"" << v << "\")\n"; };
      set("UNIT", name), set("TOP", cfg["TOP"]), set("PARAMS", plist), set("SOURCES", snapshot);
      set("LIBERTY", lib_copy_), set("LIBERTY_SOURCE", liberty_), set("YOSYS", flow_.yosys), set("STA", flow_.sta);
      set("CLOCK_NS", clock), set("TIME_LIMIT_S", "1800"), set("ABC_SCRIPT", cfg["ABC_SCRIPT"]);
      set("TIE_CELL", cfg["TIE_CELL"]), set("DIR", tmp.string());
      write_atomic(tmp / "config.cmake", c.str());
      say("[cost] " + name + ": synthesizing (Yosys + ABC onto " + fs::path(liberty_).filename().string() +
          ", OpenSTA at " + clock + " ns) ...");
      try {
        run(quote(flow_.cmake) + " -DCONFIG=" + quote((tmp / "config.cmake").string()) + " -P " +
                quote(flow_.synth_driver),
            tmp / "flow.log", "synthesis of " + name);
        vectorless(tmp, name, cfg["TOP"], clock);
      } catch (...) {
        fs::remove_all(tmp);
        throw;
      }
      if (fs::exists(report) && fs::exists(power)) {
        fs::remove_all(tmp);  // another run finished the same key first: keep its (identical) result
      } else {
        fs::remove_all(s.dir);
        fs::rename(tmp, s.dir);
      }
    }
    s.report = json::parse(read_text(report));
    s.vectorless_w = json::parse(read_text(power)).at("total_w").get<double>();
    if (!s.cached)
      say("[cost] " + name + ": " + std::to_string(s.report.at("cells").get<long>()) + " cells, " +
          s.report.at("fmax_mhz").dump() + " MHz max clock (" + s.report.at("synth_wall_s").dump() + " s)");
    return s;
  }

  // OpenSTA 2.0.17 report_power on the mapped netlist: every input toggling 0.5 per cycle with duty 0.5 (what random
  // data does to a data bit), propagated through the logic by OpenSTA's probabilistic model.
  void vectorless(const fs::path& dir, const std::string& name, const std::string& top, const std::string& clock) {
    std::ostringstream t;
    t << "read_liberty " << lib_copy_ << "\nread_verilog " << (dir / (name + "_netlist.v")).string()
      << "\nlink_design " << top << "\ncreate_clock -name clk -period " << clock << " [get_ports clk]\n"
      << "set_power_activity -input -activity 0.5 -duty 0.5\nreport_power -digits 6\n";
    write_atomic(dir / "power.tcl", t.str());
    run(quote(flow_.sta) + " -no_splash -exit " + quote((dir / "power.tcl").string()), dir / "power.log",
        "OpenSTA report_power");
    static const std::regex total(R"(\nTotal +(\S+) +(\S+) +(\S+) +(\S+))");
    const std::string log = read_text(dir / "power.log");
    std::smatch m;
    if (!std::regex_search(log, m, total)) throw std::runtime_error("OpenSTA report_power: no Total line in " + (dir / "power.log").string());
    json j = {{"internal_w", std::stod(m[1])}, {"switching_w", std::stod(m[2])}, {"leakage_w", std::stod(m[3])},
              {"total_w", std::stod(m[4])}, {"tool", tools_.sta}};
    write_atomic(dir / "vectorless.json", j.dump(2));
  }

  Energy energy(const Synth& s, const UnitFormat& uf, OperandKind kind) {
    ContentHash h;
    h.add("energy-1").add(s.key).add(uf.name).add(traits_name(uf)).add(operand_name(kind));
    h.add(std::to_string(opt_.vectors)).add(tools_.iverilog).add(flow_key_);
    if (kind == OperandKind::random) h.add(std::to_string(opt_.seed));
    if (kind == OperandKind::model) {
      if (!opt_.real) throw std::invalid_argument("model operands requested but none were loaded");
      h.add(opt_.real->what).add(std::to_string(opt_.real->k));
      h.add({reinterpret_cast<const char*>(opt_.real->weight.data()), opt_.real->weight.size() * sizeof(float)});
      h.add({reinterpret_cast<const char*>(opt_.real->activation.data()), opt_.real->activation.size() * sizeof(float)});
    }
    const std::string key = h.hex();
    const fs::path file = fs::path(cache_) / ("energy-" + key + ".json");
    const std::string what = s.unit_name + " " + uf.name + " " + operand_name(kind);
    Energy e;
    e.present = true;
    if (fs::exists(file)) {
      const json j = json::parse(read_text(file));
      e.cached = true, e.cycles = j.at("cycles"), e.macs = j.at("macs"), e.switching_pj = j.at("switching_pj");
      e.internal_pj = j.at("internal_pj"), e.leakage_pj = j.at("leakage_pj");
      say("[cost] " + what + ": energy cached (" + key.substr(0, 12) + ")");
      return e;
    }
    const auto vectors = unit_vectors(uf, kind, opt_.real, opt_.vectors, opt_.seed);
    const power::Netlist& nl = netlist(s);
    const fs::path work = fs::path(cache_) / ("work-" + key + pid_suffix());
    fs::remove_all(work);
    fs::create_directories(work);
    power::SimulationSetup setup;
    setup.netlist_path = s.flat, setup.cell_models_path = cell_models(), setup.reset = "rst_n";
    setup.clock_period_ns = opt_.clock_ns, setup.work_dir = work.string();
    setup.iverilog = flow_.iverilog, setup.vvp = flow_.vvp;
    for (std::string p : nl.input_ports()) {  // bits "in_a[3]" of split ports: the bus, as simulate_activity drives it
      if (const auto open = p.rfind('['); open != std::string::npos && p.back() == ']') p.erase(open);
      if (p != "clk" && p != "rst_n" && std::find(setup.inputs.begin(), setup.inputs.end(), p) == setup.inputs.end())
        setup.inputs.push_back(p);
    }
    std::ostringstream lines;
    lines << "# " << what << ": " << vectors.size() << " vectors, columns:";
    for (const std::string& p : setup.inputs) lines << ' ' << p;
    lines << '\n';
    for (const auto& v : vectors) {
      for (std::size_t i = 0; i < setup.inputs.size(); ++i) {
        const auto it = v.find(setup.inputs[i]);
        if (it == v.end()) throw std::runtime_error(what + ": no value for input port " + setup.inputs[i]);
        lines << (i ? " " : "") << it->second;
      }
      lines << '\n';
    }
    setup.vectors_path = (work / "vectors.txt").string();
    write_atomic(setup.vectors_path, lines.str());
    say("[cost] " + what + ": simulating " + std::to_string(vectors.size()) + " cycles (iverilog, gate level) ...");
    try {
      const power::Activity act = power::simulate_activity(nl, setup);
      power::EnergyOptions eo;
      eo.clock_period_s = opt_.clock_ns * 1e-9;
      const power::EnergyReport r = power::compute_energy(library(), nl, act, eo);
      e.cycles = r.cycles, e.macs = double(opt_.vectors) * uf.macs_per_vector();
      e.switching_pj = r.switching_j * 1e12, e.internal_pj = r.internal_j * 1e12, e.leakage_pj = r.leakage_j * 1e12;
    } catch (...) {
      fs::remove_all(work);
      throw;
    }
    fs::remove_all(work);
    json j = {{"unit", s.unit_name}, {"format", uf.name}, {"operands", operand_name(kind)}, {"cycles", e.cycles},
              {"macs", e.macs}, {"switching_pj", e.switching_pj}, {"internal_pj", e.internal_pj},
              {"leakage_pj", e.leakage_pj}, {"iverilog", tools_.iverilog}};
    write_atomic(file, j.dump(2));
    char buf[96];
    std::snprintf(buf, sizeof buf, ": %.4f pJ/MAC", e.pj_per_mac());
    say("[cost] " + what + buf);
    return e;
  }

  const std::string& liberty() const { return liberty_; }
  const Tools& tools() const { return tools_; }

 private:
  static std::string traits_name(const UnitFormat& uf) { return uf.in_table ? traits(uf.act).name : "vq"; }

  const power::Netlist& netlist(const Synth& s) {
    auto it = netlists_.find(s.key);
    if (it == netlists_.end()) it = netlists_.emplace(s.key, power::read_netlist(s.flat, s.top)).first;
    return it->second;
  }

  std::string cell_models() {
    const std::string p = (fs::path(cache_) / ("cells-" + lib_key_ + ".v")).string();
    if (!fs::exists(p)) {
      library();
      power::write_cell_models(lib_copy_, p, flow_.yosys);
    }
    return p;
  }

  const CostOptions& opt_;
  const Flow& flow_;
  std::string cache_, liberty_, lib_key_, lib_copy_, flow_key_;
  Tools tools_;
  std::unique_ptr<power::Library> lib_;
  std::map<std::string, power::Netlist> netlists_;
  std::map<std::string, std::string> source_text_;
};

double nand2_area(const power::Library& lib) {
  if (auto it = lib.cells.find("sky130_fd_sc_hd__nand2_1"); it != lib.cells.end()) return it->second.area;
  double best = 0;
  for (const auto& [name, c] : lib.cells)
    if (name.find("nand2") != std::string::npos && c.area > 0 && (best == 0 || c.area < best)) best = c.area;
  if (best == 0) throw std::runtime_error("the liberty has no nand2 cell for NAND2 equivalents");
  return best;
}

}  // namespace

std::vector<CostRow> run_cost(const CostOptions& opt, const Flow& flow) {
  // every name first: a typo fails before minutes of synthesis
  std::vector<std::pair<const rtl::UnitConfig*, std::vector<UnitFormat>>> plan;
  std::vector<std::string> units = opt.units;
  if (units.empty()) units = rtl::unit_names();
  std::vector<std::string> taken;  // formats some selected unit multiplies
  for (const std::string& f : opt.formats)
    if (f != "vq") (void)find_format(f);  // throws naming every known format
  for (const std::string& un : units) {
    const rtl::UnitConfig& u = rtl::unit_config(un);  // throws naming the known units
    std::vector<UnitFormat> chosen;
    for (const UnitFormat& uf : unit_formats(u))
      if (opt.formats.empty() || std::find(opt.formats.begin(), opt.formats.end(), uf.name) != opt.formats.end()) {
        chosen.push_back(uf);
        taken.push_back(uf.name);
      }
    if (!chosen.empty()) plan.emplace_back(&u, chosen);  // a unit multiplying none of --formats is left out
  }
  for (const std::string& f : opt.formats)
    if (std::find(taken.begin(), taken.end(), f) == taken.end()) {
      std::string names;
      for (const std::string& un : units) {
        std::string fs_;
        for (const UnitFormat& uf : unit_formats(rtl::unit_config(un))) fs_ += (fs_.empty() ? "" : " ") + uf.name;
        names += (names.empty() ? "" : "; ") + un + ": " + fs_;
      }
      throw std::invalid_argument("no selected unit multiplies format '" + f + "' (" + names + ")");
    }
  Runner r(opt, flow);
  const double nand2 = nand2_area(r.library());
  std::vector<CostRow> rows;
  for (const auto& [u, formats] : plan) {
    const Synth s = r.synth(*u);
    for (const UnitFormat& uf : formats) {
      CostRow row;
      row.unit = s.unit_name, row.format = uf.name, row.act_format = uf.in_table ? traits(uf.act).name : "int8";
      row.top = s.top, row.params = s.params, row.liberty = fs::path(r.liberty()).filename().string();
      const std::regex depth("DEPTH=([0-9]+)");
      std::smatch dm;
      row.depth = std::regex_search(s.params, dm, depth) ? std::stoi(dm[1]) : 1;
      row.synth_cached = s.cached, row.clock_ns = opt.clock_ns;
      row.area_um2 = s.report.at("area_um2"), row.cells = s.report.at("cells"), row.flops = s.report.at("flops");
      row.critical_path_ns = s.report.at("critical_path_ns"), row.fmax_mhz = s.report.at("fmax_mhz");
      row.synth_s = s.report.at("synth_wall_s"), row.nand2_eq = row.area_um2 / nand2;
      row.macs_per_cycle = uf.macs_per_vector(), row.bits_per_weight = uf.bits_per_weight();
      row.vectorless_pj_per_mac = s.vectorless_w * opt.clock_ns * 1e-9 / row.macs_per_cycle * 1e12;
      row.synth_key = s.key;
      if (opt.model && uf.in_table) row.model = r.energy(s, uf, OperandKind::model), row.operands_what = opt.real->what;
      if (opt.random || !uf.in_table) row.random = r.energy(s, uf, OperandKind::random);
      rows.push_back(row);
    }
  }
  return rows;
}

std::string cost_table(const std::vector<CostRow>& rows) {
  std::ostringstream o;
  o << "| unit | format (W x A) | depth | bits/w | area (um^2) | NAND2 eq | cells | flops | crit. path (ns) | "
       "max clock (MHz) | pJ/MAC model | pJ/MAC random | pJ/MAC vectorless |\n"
       "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  auto pj = [](const Energy& e) {
    if (!e.present) return std::string("-");
    char b[32];
    std::snprintf(b, sizeof b, "%.4f", e.pj_per_mac());
    return std::string(b);
  };
  for (const CostRow& r : rows) {
    char b[512];
    std::snprintf(b, sizeof b, "| %s | %s x %s | %d | %.4g | %.0f | %.0f | %ld | %ld | %.3f | %.1f | %s | %s | %.4f |\n",
                  r.unit.c_str(), r.format.c_str(), r.act_format.c_str(), r.depth, r.bits_per_weight, r.area_um2,
                  r.nand2_eq, r.cells, r.flops, r.critical_path_ns, r.fmax_mhz, pj(r.model).c_str(),
                  pj(r.random).c_str(), r.vectorless_pj_per_mac);
    o << b;
  }
  return o.str();
}

std::string cost_json(const std::vector<CostRow>& rows) {
  json a = json::array();
  auto ej = [](const Energy& e) -> json {
    if (!e.present) return nullptr;
    return {{"pj_per_mac", e.pj_per_mac()}, {"cycles", e.cycles}, {"macs", e.macs}, {"switching_pj", e.switching_pj},
            {"internal_pj", e.internal_pj}, {"leakage_pj", e.leakage_pj}, {"cached", e.cached}};
  };
  for (const CostRow& r : rows)
    a.push_back({{"unit", r.unit}, {"format", r.format}, {"act_format", r.act_format}, {"top", r.top},
                 {"params", r.params}, {"depth", r.depth}, {"liberty", r.liberty}, {"clock_ns", r.clock_ns},
                 {"area_um2", r.area_um2}, {"nand2_eq", r.nand2_eq}, {"cells", r.cells}, {"flops", r.flops},
                 {"critical_path_ns", r.critical_path_ns}, {"fmax_mhz", r.fmax_mhz}, {"synth_wall_s", r.synth_s},
                 {"bits_per_weight", r.bits_per_weight}, {"macs_per_cycle", r.macs_per_cycle},
                 {"energy_model", ej(r.model)}, {"energy_random", ej(r.random)},
                 {"vectorless_pj_per_mac", r.vectorless_pj_per_mac}, {"operands", r.operands_what},
                 {"synth_cached", r.synth_cached}, {"synth_key", r.synth_key}});
  return a.dump(2);
}

}  // namespace mxlab::cost
