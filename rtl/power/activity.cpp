// Gate-level activity (activity.hpp): testbench generation, iverilog/vvp runs, VCD toggle counting.
#include "activity.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace mxlab::power {
namespace {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q.append("'\\''");
    else q.push_back(c);
  }
  q.push_back('\'');
  return q;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `cmd` with its output in `log`; throws "<what> failed (exit N): <last lines of the log>".
void run(const std::string& cmd, const std::string& log, const std::string& what) {
  int rc = std::system((cmd + " > " + shell_quote(log) + " 2>&1").c_str());
  if (rc != 0) {
    std::string out = read_text(log);
    if (out.size() > 2000) out.erase(0, out.size() - 2000);
    throw std::runtime_error(what + " failed (status " + std::to_string(rc) + "): " + out);
  }
}

// A top-level input as the testbench drives it: one reg of `width` bits and the port connections of its bits.
struct TbPort {
  int width = 0;
  std::vector<std::pair<std::string, int>> bits;  // netlist port name -> bit of the reg (-1: the whole reg)
};

std::map<std::string, TbPort> group_inputs(const Netlist& nl) {
  std::map<std::string, TbPort> ports;
  for (const Netlist::Decl& d : nl.decls) {
    if (d.kind != Netlist::Decl::kInput) continue;
    if (d.vector) {
      if (d.lsb != 0 || d.msb < 0) throw std::runtime_error("netlist " + nl.top + ": input " + d.name + " is not [N-1:0]");
      ports[d.name] = {d.msb + 1, {{d.name, -1}}};
      continue;
    }
    // `splitnets -ports` names the bits of bus in_a "in_a[3]" (escaped scalars)
    std::size_t open = d.name.rfind('[');
    if (open != std::string::npos && d.name.back() == ']') {
      int bit = std::stoi(d.name.substr(open + 1));
      TbPort& p = ports[d.name.substr(0, open)];
      p.width = std::max(p.width, bit + 1);
      p.bits.emplace_back(d.name, bit);
    } else {
      ports[d.name] = {1, {{d.name, -1}}};
    }
  }
  return ports;
}

}  // namespace

void write_cell_models(const std::string& liberty_path, const std::string& out_path, const std::string& yosys) {
  if (!std::filesystem::exists(liberty_path)) throw std::runtime_error("liberty " + liberty_path + ": no such file");
  const std::string tmp = out_path + ".tmp";
  run(yosys + " -q -p " + shell_quote("read_liberty -ignore_miss_func " + liberty_path + "; write_verilog -noattr " + tmp),
      out_path + ".log", "yosys (cell models from " + liberty_path + ")");
  std::filesystem::rename(tmp, out_path);
}

Activity simulate_activity(const Netlist& nl, const SimulationSetup& s) {
  namespace fs = std::filesystem;
  if (s.reset_edges < 1) throw std::runtime_error("simulate_activity: reset_edges must be >= 1");
  fs::create_directories(s.work_dir);
  std::map<std::string, TbPort> ports = group_inputs(nl);
  // every input but clock and reset must be a vector column, and each column an input
  std::set<std::string> listed(s.inputs.begin(), s.inputs.end());
  for (const auto& [name, p] : ports)
    if (name != s.clock && name != s.reset && !listed.count(name))
      throw std::runtime_error("simulate_activity: input '" + name + "' of " + nl.top + " has no vector column");
  for (const std::string& in : s.inputs)
    if (!ports.count(in) || in == s.clock || in == s.reset)
      throw std::runtime_error("simulate_activity: vector column '" + in + "' is not a data input of " + nl.top);
  for (const std::string* c : {&s.clock, &s.reset})
    if (!c->empty() && (!ports.count(*c) || ports[*c].width != 1))
      throw std::runtime_error("simulate_activity: '" + *c + "' is not a one-bit input of " + nl.top);

  // clean vector file: data lines only, each with one hex field per input
  std::ifstream vin(s.vectors_path);
  if (!vin) throw std::runtime_error("simulate_activity: cannot open vectors " + s.vectors_path);
  const std::string vec = (fs::path(s.work_dir) / "vectors.hex").string();
  std::ofstream vout(vec);
  long cycles = 0;
  int lineno = 0;
  for (std::string line; std::getline(vin, line);) {
    ++lineno;
    std::stringstream ss(line);
    std::vector<std::string> f;
    for (std::string w; ss >> w;) f.push_back(w);
    if (f.empty() || f[0][0] == '#') continue;
    if (f.size() != s.inputs.size() ||
        line.find_first_not_of("0123456789abcdefABCDEFxXzZ_ \t\r") != std::string::npos)
      throw std::runtime_error("vectors " + s.vectors_path + ":" + std::to_string(lineno) + ": want " +
                               std::to_string(s.inputs.size()) + " hex fields, one per input");
    vout << line << "\n";
    ++cycles;
  }
  vout.close();
  if (cycles == 0) throw std::runtime_error("vectors " + s.vectors_path + ": no vector lines");

  // testbench: regs v0..vN-1 in column order; escaped port names connect any netlist name
  const std::string vcd = (fs::path(s.work_dir) / "activity.vcd").string();
  std::ostringstream tb;
  tb << "// GENERATED by mxlab::power::simulate_activity for " << nl.top << ": one vector per clock cycle.\n"
     << "`timescale 1ns / 1ps\nmodule mxlab_power_tb;\n  real T = " << s.clock_period_ns << ";\n"
     << "  reg clk = 1'b0;\n";
  if (!s.reset.empty()) tb << "  reg rst = 1'b" << (s.reset_active_low ? 0 : 1) << ";\n";
  for (std::size_t k = 0; k < s.inputs.size(); ++k) tb << "  reg [" << ports[s.inputs[k]].width - 1 << ":0] v" << k << ";\n";
  tb << "  " << nl.top << " dut (";
  std::string sep = "\n    ";
  auto connect = [&](const TbPort& p, const std::string& reg) {
    for (const auto& [port, bit] : p.bits) {
      tb << sep << ".\\" << port << " (" << reg;
      if (bit >= 0) tb << '[' << bit << ']';
      tb << ')';
      sep = ",\n    ";
    }
  };
  connect(ports[s.clock], "clk");
  if (!s.reset.empty()) connect(ports[s.reset], "rst");
  for (std::size_t k = 0; k < s.inputs.size(); ++k) {
    std::string reg = "v";  // (not "v" + to_string: GCC 12 -Wrestrict false positive)
    reg += std::to_string(k);
    connect(ports[s.inputs[k]], reg);
  }
  tb << ");\n  integer fd, k, got;\n  task next_vector;\n    begin\n      got = 0;\n";
  for (std::size_t k = 0; k < s.inputs.size(); ++k) tb << "      got = got + $fscanf(fd, \" %h\", v" << k << ");\n";
  tb << "      if (got != " << s.inputs.size() << ") $fatal(1, \"short vector line\");\n    end\n  endtask\n"
     << "  initial begin\n    fd = $fopen(\"" << vec << "\", \"r\");\n"
     << "    if (fd == 0) $fatal(1, \"cannot open the vectors\");\n    next_vector;\n"
     << "    repeat (" << s.reset_edges - 1 << ") begin #(T / 2) clk = 1'b1; #(T / 2) clk = 1'b0; end\n"
     << "    #(T / 2) clk = 1'b1;\n    #(T / 4)" << (s.reset.empty() ? "" : (s.reset_active_low ? " rst = 1'b1" : " rst = 1'b0")) << ";\n"
     << "    #(T / 8) $dumpfile(\"" << vcd << "\");\n    $dumpvars(1, dut);\n"
     << "    for (k = 1; k <= " << cycles << "; k = k + 1) begin\n"
     << "      #(T / 8) clk = 1'b0;\n      if (k > 1) next_vector;\n      #(T / 2) clk = 1'b1;\n      #(3 * T / 8);\n"
     << "    end\n    $display(\"mxlab_power_tb: %0d cycles\", k - 1);\n    $finish;\n  end\nendmodule\n";
  const std::string tb_path = (fs::path(s.work_dir) / "power_tb.v").string();
  std::ofstream(tb_path) << tb.str();

  const std::string sim = (fs::path(s.work_dir) / "power_sim").string();
  run(s.iverilog + " -g2012 -o " + shell_quote(sim) + " -s mxlab_power_tb " + shell_quote(s.cell_models_path) + " " +
          shell_quote(s.netlist_path) + " " + shell_quote(tb_path),
      (fs::path(s.work_dir) / "iverilog.log").string(), "iverilog");
  const std::string log = (fs::path(s.work_dir) / "vvp.log").string();
  run(s.vvp + " -n " + shell_quote(sim), log, "vvp");
  if (read_text(log).find("mxlab_power_tb: " + std::to_string(cycles) + " cycles") == std::string::npos)
    throw std::runtime_error("vvp: the testbench did not finish its " + std::to_string(cycles) + " cycles: " + read_text(log));
  return count_vcd_toggles(nl, vcd, cycles);
}

Activity count_vcd_toggles(const Netlist& nl, const std::string& vcd_path, long cycles) {
  std::ifstream in(vcd_path);
  if (!in) throw std::runtime_error("vcd " + vcd_path + ": cannot open");
  Activity a;
  a.cycles = cycles;
  a.rises.assign(nl.node_names.size(), 0);
  a.falls.assign(nl.node_names.size(), 0);
  // per VCD id: per bit (MSB first) the node it counts for (-1: not counted) and the current value
  struct Var { std::vector<int> node; std::string value; };
  std::map<std::string, Var> vars;
  std::vector<bool> claimed(nl.node_names.size(), false);
  std::string tok;
  bool header = true, initial = false;
  auto change = [&](const std::string& id, std::string v) {
    auto it = vars.find(id);
    if (it == vars.end()) return;
    Var& var = it->second;
    const std::size_t w = var.node.size();
    if (v.size() < w) v.insert(0, w - v.size(), v[0] == '1' ? '0' : v[0]);  // VCD left-extension
    v = v.substr(v.size() - w);
    for (std::size_t b = 0; b < w; ++b) {
      char o = var.value[b], n = v[b];
      if (!initial && var.node[b] >= 0 && o != n && (o == '0' || o == '1') && (n == '0' || n == '1'))
        ++(n == '1' ? a.rises : a.falls)[var.node[b]];
    }
    var.value = v;
  };
  while (in >> tok) {
    if (header) {
      if (tok == "$var") {  // $var wire 4 % _05_ [3:0] $end
        std::string type, id, name, range;
        int width;
        in >> type >> width >> id >> name >> range;
        if (range != "$end") { std::string end; in >> end; } else range.clear();
        if (!name.empty() && name[0] == '\\') name.erase(0, 1);
        Var v;
        v.value.assign(width, 'x');
        int msb = 0, lsb = 0;
        bool vec = !range.empty() && (std::sscanf(range.c_str(), "[%d:%d]", &msb, &lsb) == 2 ||
                                      (std::sscanf(range.c_str(), "[%d]", &msb) == 1 && (lsb = msb, true)));
        for (int b = 0; b < width; ++b) {
          std::string bit = vec ? name + "[" + std::to_string(msb > lsb ? msb - b : msb + b) + "]" : name;
          auto n = nl.node_of_bit.find(bit);
          int node = n == nl.node_of_bit.end() || claimed[n->second] ? -1 : n->second;
          if (node >= 0) claimed[node] = true;
          v.node.push_back(node);
        }
        vars[id] = std::move(v);
      } else if (tok == "$enddefinitions") {
        header = false;
      }
      continue;
    }
    if (tok == "$dumpvars") initial = true;
    else if (tok == "$end") initial = false;
    else if (tok[0] == '#' || tok[0] == '$') continue;
    else if (tok[0] == 'b' || tok[0] == 'B') { std::string id; in >> id; change(id, tok.substr(1)); }
    else if (tok[0] == 'r' || tok[0] == 'R') { std::string id; in >> id; }
    else change(tok.substr(1), tok.substr(0, 1));
  }
  if (header) throw std::runtime_error("vcd " + vcd_path + ": no $enddefinitions (truncated file?)");
  return a;
}

}  // namespace mxlab::power
