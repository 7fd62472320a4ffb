// Yosys gate-level netlist reader (netlist.hpp): a small Verilog-2001 tokenizer, the declaration/assign/instance
// statements Yosys writes, bit-level nets merged into nodes by a union-find over `assign` aliases.
#include "netlist.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>

namespace mxlab::power {
namespace {

struct Tok {
  std::string text;
  int line;
  bool ident;  // identifier (escaped or not) as opposed to a number or punctuation
};

std::vector<Tok> tokenize(const std::string& s, const std::string& origin) {
  std::vector<Tok> out;
  int line = 1;
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("netlist " + origin + ":" + std::to_string(line) + ": " + what);
  };
  for (std::size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '\n') { ++line; ++i; continue; }
    if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
    if (s.compare(i, 2, "//") == 0) { i = s.find('\n', i); if (i == std::string::npos) i = s.size(); continue; }
    if (s.compare(i, 2, "/*") == 0 || s.compare(i, 2, "(*") == 0) {  // comment or attribute
      const char* end = s[i] == '/' ? "*/" : "*)";
      std::size_t e = s.find(end, i + 2);
      if (e == std::string::npos) fail(std::string("unterminated ") + (s[i] == '/' ? "comment" : "attribute"));
      for (std::size_t k = i; k < e; ++k) line += s[k] == '\n';
      i = e + 2;
      continue;
    }
    if (c == '\\') {  // escaped identifier: up to white space
      std::size_t b = ++i;
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      out.push_back({s.substr(b, i - b), line, true});
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      std::size_t b = i;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '$')) ++i;
      out.push_back({s.substr(b, i - b), line, true});
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '\'') {  // 12, 1'h0, 4'b10x1
      std::size_t b = i;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '\'' || s[i] == '_')) ++i;
      out.push_back({s.substr(b, i - b), line, false});
      continue;
    }
    if (std::string("(){}[]:;,.=#").find(c) == std::string::npos) fail(std::string("unexpected character '") + c + "'");
    out.push_back({std::string(1, c), line, false});
    ++i;
  }
  return out;
}

// A bit of an expression: a declared bit name, or a constant code (Netlist::kConst0/1/X).
struct Bit {
  std::string name;
  int constant = Netlist::kUnconnected;
};

class Parser {
 public:
  Parser(std::vector<Tok> toks, std::string origin) : t_(std::move(toks)), origin_(std::move(origin)) {}

  [[noreturn]] void fail(const std::string& what) const {
    int line = t_.empty() ? 1 : t_[std::min(p_, t_.size() - 1)].line;
    throw std::runtime_error("netlist " + origin_ + ":" + std::to_string(line) + ": " + what);
  }
  bool at_end() const { return p_ >= t_.size(); }
  const Tok& peek() const {
    if (at_end()) fail("unexpected end of file");
    return t_[p_];
  }
  const Tok& next() { const Tok& t = peek(); ++p_; return t; }
  bool accept(const char* s) { if (!at_end() && t_[p_].text == s && !t_[p_].ident) { ++p_; return true; } return false; }
  void expect(const char* s) { if (!accept(s)) fail(std::string("expected '") + s + "', found '" + peek().text + "'"); }
  std::string ident() { const Tok& t = next(); if (!t.ident) fail("expected a name, found '" + t.text + "'"); return t.text; }
  int integer() {
    const Tok& t = next();
    try { return std::stoi(t.text); } catch (const std::exception&) { fail("expected an integer, found '" + t.text + "'"); }
  }
  std::size_t pos() const { return p_; }
  void seek(std::size_t p) { p_ = p; }

  // ident, ident[i], ident[m:l], sized constant or {a, b, ...}: bits MSB first
  std::vector<Bit> expr(const std::map<std::string, Netlist::Decl>& decls) {
    std::vector<Bit> bits;
    if (accept("{")) {
      do {
        auto part = expr(decls);
        bits.insert(bits.end(), part.begin(), part.end());
      } while (accept(","));
      expect("}");
      return bits;
    }
    const Tok& t = next();
    if (!t.ident) return constant(t.text);
    auto it = decls.find(t.text);
    if (it == decls.end()) fail("'" + t.text + "' is not declared");
    const Netlist::Decl& d = it->second;
    int msb = d.msb, lsb = d.lsb;
    if (accept("[")) {
      msb = lsb = integer();
      if (accept(":")) lsb = integer();
      expect("]");
      if (!d.vector) fail("bit select on scalar '" + d.name + "'");
    }
    if (!d.vector) return {Bit{d.name}};
    int step = msb >= lsb ? -1 : 1;
    for (int i = msb;; i += step) {
      if ((i - d.msb) * (i - d.lsb) > 0) fail("bit " + std::to_string(i) + " is outside '" + d.name + "'");
      bits.push_back(Bit{d.name + "[" + std::to_string(i) + "]"});
      if (i == lsb) break;
    }
    return bits;
  }

 private:
  std::vector<Bit> constant(const std::string& s) {
    std::size_t q = s.find('\'');
    if (q == std::string::npos || q == 0 || q + 2 > s.size()) fail("expected a sized constant, found '" + s + "'");
    int width = std::stoi(s.substr(0, q));
    char base = static_cast<char>(std::tolower(static_cast<unsigned char>(s[q + 1])));
    int per = base == 'b' ? 1 : base == 'o' ? 3 : base == 'h' ? 4 : 0;
    if (!per) fail("constant '" + s + "': only b, o and h bases are read");
    std::vector<int> lsb_first;  // constant codes, least significant bit first
    const std::string digits = s.substr(q + 2);
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(*it)));
      if (c == '_') continue;
      int v = c == 'x' || c == 'z' ? -1 : std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'a' + 10;
      if (v >= (1 << per)) fail("constant '" + s + "': digit '" + c + "' out of range");
      for (int k = 0; k < per; ++k)
        lsb_first.push_back(v < 0 ? Netlist::kConstX : ((v >> k) & 1) ? Netlist::kConst1 : Netlist::kConst0);
    }
    lsb_first.resize(width, Netlist::kConst0);
    std::vector<Bit> bits;
    for (auto it = lsb_first.rbegin(); it != lsb_first.rend(); ++it) bits.push_back(Bit{"", *it});
    return bits;
  }

  std::vector<Tok> t_;
  std::string origin_;
  std::size_t p_ = 0;
};

}  // namespace

std::vector<std::string> Netlist::Decl::bits() const {
  if (!vector) return {name};
  std::vector<std::string> out;
  for (int i = msb;; i += msb >= lsb ? -1 : 1) {
    out.push_back(name + "[" + std::to_string(i) + "]");
    if (i == lsb) break;
  }
  return out;
}

std::vector<std::string> Netlist::input_ports() const {
  std::vector<std::string> out;
  for (const Decl& d : decls)
    if (d.kind == Decl::kInput) out.push_back(d.name);
  return out;
}

int Netlist::node(const std::string& bit) const {
  auto it = node_of_bit.find(bit);
  if (it == node_of_bit.end()) throw std::runtime_error("netlist " + top + ": no net '" + bit + "'");
  return it->second;
}

Netlist parse_netlist(const std::string& text, const std::string& origin, const std::string& top) {
  Parser ps(tokenize(text, origin), origin);
  // first pass: module names and extents
  std::map<std::string, std::size_t> modules;
  while (!ps.at_end()) {
    if (ps.next().text == "module") {
      std::size_t at = ps.pos();
      modules[ps.ident()] = at;
    }
  }
  if (modules.empty()) ps.fail("no module");
  std::string name = top;
  if (name.empty()) {
    if (modules.size() != 1) ps.fail("several modules: name the top module");
    name = modules.begin()->first;
  }
  if (!modules.count(name)) ps.fail("no module '" + name + "'");
  ps.seek(modules[name] + 1);

  Netlist nl;
  nl.top = name;
  std::map<std::string, Netlist::Decl> decls;
  std::vector<std::pair<std::vector<Bit>, std::vector<Bit>>> assigns;
  struct RawInst { std::string name, cell; std::vector<std::pair<std::string, std::vector<Bit>>> pins; };
  std::vector<RawInst> raw;
  if (ps.accept("(")) {  // port names; their directions come from the declarations
    while (!ps.accept(")")) ps.next();
  }
  ps.expect(";");
  while (true) {
    std::string kw = ps.ident();
    if (kw == "endmodule") break;
    if (kw == "input" || kw == "output" || kw == "inout" || kw == "wire") {
      Netlist::Decl d;
      d.kind = kw == "input" ? Netlist::Decl::kInput : kw == "output" ? Netlist::Decl::kOutput
             : kw == "inout" ? Netlist::Decl::kInout : Netlist::Decl::kWire;
      if (ps.accept("signed")) {}
      if (ps.accept("[")) {
        d.vector = true;
        d.msb = ps.integer();
        ps.expect(":");
        d.lsb = ps.integer();
        ps.expect("]");
      }
      do {
        d.name = ps.ident();
        auto [it, fresh] = decls.emplace(d.name, d);
        if (!fresh) {  // `input x; wire x;`: keep the port kind, check the width
          if (it->second.vector != d.vector || it->second.msb != d.msb || it->second.lsb != d.lsb)
            ps.fail("'" + d.name + "' declared twice with different widths");
          if (it->second.kind == Netlist::Decl::kWire) it->second.kind = d.kind;
        } else {
          nl.decls.push_back(d);
        }
      } while (ps.accept(","));
      ps.expect(";");
    } else if (kw == "assign") {
      auto lhs = ps.expr(decls);
      ps.expect("=");
      auto rhs = ps.expr(decls);
      ps.expect(";");
      if (lhs.size() != rhs.size()) ps.fail("assign of " + std::to_string(rhs.size()) + " bits to " + std::to_string(lhs.size()));
      assigns.emplace_back(std::move(lhs), std::move(rhs));
    } else if (kw == "reg" || kw == "always" || kw == "initial") {
      ps.fail("'" + kw + "' in a gate-level netlist: pass a mapped netlist (write_verilog -noexpr after synthesis)");
    } else {
      RawInst inst;
      inst.cell = kw;
      if (modules.count(kw)) ps.fail("instance of module '" + kw + "' of the same file: flatten the netlist first");
      if (ps.accept("#")) {  // parameters: skipped
        ps.expect("(");
        for (int depth = 1; depth > 0;) { const Tok& t = ps.next(); depth += t.text == "(" ? 1 : t.text == ")" ? -1 : 0; }
      }
      inst.name = ps.ident();
      ps.expect("(");
      if (!ps.accept(")")) {
        do {
          if (!ps.accept(".")) ps.fail("instance " + inst.name + ": only named pin connections (.PIN(net)) are read");
          std::string pin = ps.ident();
          ps.expect("(");
          std::vector<Bit> bits;
          if (!ps.accept(")")) { bits = ps.expr(decls); ps.expect(")"); }
          if (bits.size() > 1) ps.fail("instance " + inst.name + " pin " + pin + ": a cell pin takes one bit");
          inst.pins.emplace_back(std::move(pin), std::move(bits));
        } while (ps.accept(","));
        ps.expect(")");
      }
      ps.expect(";");
      raw.push_back(std::move(inst));
    }
  }

  // nodes: union-find over every declared bit, joined by the assigns
  std::vector<std::string> bit_names;
  std::map<std::string, int> bit_index;
  for (const Netlist::Decl& d : nl.decls)
    for (const std::string& b : d.bits()) {
      bit_index[b] = static_cast<int>(bit_names.size());
      bit_names.push_back(b);
    }
  std::vector<int> parent(bit_names.size());
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](int x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; };
  std::vector<int> tie(bit_names.size(), Netlist::kUnconnected);
  for (const auto& [lhs, rhs] : assigns)
    for (std::size_t k = 0; k < lhs.size(); ++k) {
      if (lhs[k].name.empty()) ps.fail("assign to a constant");
      int a = find(bit_index.at(lhs[k].name));
      if (rhs[k].name.empty()) tie[a] = rhs[k].constant;
      else {
        int b = find(bit_index.at(rhs[k].name));
        if (a != b) {
          int keep = std::min(a, b), gone = std::max(a, b);
          parent[gone] = keep;
          if (tie[keep] == Netlist::kUnconnected) tie[keep] = tie[gone];
        }
      }
    }
  std::map<int, int> node_of_root;
  for (std::size_t b = 0; b < bit_names.size(); ++b) {
    int r = find(static_cast<int>(b));
    auto [it, fresh] = node_of_root.emplace(r, static_cast<int>(nl.node_names.size()));
    if (fresh) { nl.node_names.push_back(bit_names[r]); nl.node_constant.push_back(tie[r]); }
    nl.node_of_bit[bit_names[b]] = it->second;
  }
  for (RawInst& r : raw) {
    Netlist::Instance inst{r.name, r.cell, {}};
    for (auto& [pin, bits] : r.pins)
      inst.pins.emplace_back(pin, bits.empty() ? Netlist::kUnconnected
                                   : bits[0].name.empty() ? bits[0].constant : nl.node_of_bit.at(bits[0].name));
    nl.instances.push_back(std::move(inst));
  }
  return nl;
}

Netlist read_netlist(const std::string& path, const std::string& top) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("netlist " + path + ": cannot open the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_netlist(ss.str(), path, top);
}

}  // namespace mxlab::power
