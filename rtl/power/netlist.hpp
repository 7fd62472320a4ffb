// Reader of a flat gate-level netlist as Yosys writes it (`write_verilog -noattr -noexpr`, after `splitnets -ports`):
// port/wire declarations, `assign` aliases and cell instances with named pin connections. Every net is split to bits
// and the bits an `assign` joins become one electrical node.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mxlab::power {

struct Netlist {
  // A declared port or wire: `name` without the escape backslash; msb/lsb only for vectors (`wire [3:0] x;`).
  struct Decl {
    std::string name;
    bool vector = false;
    int msb = 0, lsb = 0;
    enum Kind { kWire, kInput, kOutput, kInout } kind = kWire;
    std::vector<std::string> bits() const;  // "x" or "x[msb]" ... "x[lsb]"
  };
  // One pin connection of an instance: a node index, or one of the codes below.
  static constexpr int kUnconnected = -1, kConst0 = -2, kConst1 = -3, kConstX = -4;
  struct Instance {
    std::string name, cell;
    std::vector<std::pair<std::string, int>> pins;  // liberty pin name -> node
  };

  std::string top;
  std::vector<Decl> decls;                  // in file order (ports first as declared)
  std::vector<std::string> node_names;      // per node: the name of its first declared bit
  std::map<std::string, int> node_of_bit;   // every declared bit ("x", "x[3]") -> node
  std::vector<int> node_constant;           // per node: kConst0/kConst1 when an assign ties it, else kUnconnected
  std::vector<Instance> instances;

  std::vector<std::string> input_ports() const;  // declared input names (buses once), file order
  int node(const std::string& bit) const;        // throws when the bit is not declared
};

// Parses the module `top` (empty: the only module in the file) of a Yosys netlist; throws std::runtime_error
// "netlist <path>:<line>: <what>" on malformed input, and on instances of modules of the same file (flatten first).
Netlist read_netlist(const std::string& path, const std::string& top = "");
Netlist parse_netlist(const std::string& text, const std::string& origin, const std::string& top = "");

}  // namespace mxlab::power
