// Architecture TOML parsing (toml++): each value is checked where it is written, so errors carry its line and key.
#include "sim/arch.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <toml++/toml.h>

namespace mxlab::sim {

const char* dataflow_name(Dataflow d) {
  return d == Dataflow::weight_stationary ? "weight_stationary" : "output_stationary";
}

namespace {

[[noreturn]] void fail(const std::string& file, const toml::source_region& at, const std::string& key,
                       const std::string& msg) {
  throw ArchError(file + ":" + std::to_string(at.begin.line) + ":" + std::to_string(at.begin.column) + ": " + key +
                  ": " + msg);
}

// One table of the file, named `path` ("" for the root, "sram.weight"): typed, checked lookups of its keys; every
// error names the file, the line and the dotted key.
class Section {
 public:
  Section(const std::string& file, const toml::table& t, std::string path) : file_(file), t_(t), path_(std::move(path)) {}

  std::string key(const std::string& k) const { return path_.empty() ? k : path_ + "." + k; }
  [[noreturn]] void fail_at(const toml::node& n, const std::string& k, const std::string& msg) const {
    fail(file_, n.source(), key(k), msg);
  }
  void allow(std::initializer_list<const char*> known) const {
    for (auto&& [k, v] : t_) {
      std::string list;
      bool ok = false;
      for (const char* x : known) ok = ok || k.str() == x, list += (list.empty() ? "" : ", ") + std::string(x);
      if (!ok) fail(file_, k.source(), key(std::string(k.str())), "unknown key (known here: " + list + ")");
    }
  }
  const toml::node* find(const std::string& k, bool required) const {
    const toml::node* n = t_.get(k);
    if (!n && required) fail(file_, t_.source(), key(k), "missing");
    return n;
  }
  // A sub-table; nullptr when absent and optional.
  std::optional<Section> sub(const std::string& k, bool required) const {
    const toml::node* n = t_.get(k);
    if (!n && required) fail(file_, t_.source(), key(k), "missing table [" + key(k) + "]");
    if (!n) return std::nullopt;
    if (!n->is_table()) fail_at(*n, k, "must be a table [" + key(k) + "]");
    return Section(file_, *n->as_table(), key(k));
  }
  std::string text(const std::string& k, const std::string& fallback, bool required = false) const {
    const toml::node* n = find(k, required);
    if (!n) return fallback;
    if (!n->is_string()) fail_at(*n, k, "must be a string");
    return n->value<std::string>().value();
  }
  std::int64_t count(const std::string& k, std::int64_t min, std::int64_t fallback, bool required = false) const {
    const toml::node* n = find(k, required);
    if (!n) return fallback;
    if (!n->is_integer()) fail_at(*n, k, "must be an integer");
    const std::int64_t v = n->value<std::int64_t>().value();
    if (v < min) fail_at(*n, k, "must be >= " + std::to_string(min) + " (got " + std::to_string(v) + ")");
    if (v > std::numeric_limits<int>::max())  // every count is stored as an int
      fail_at(*n, k, "must be <= " + std::to_string(std::numeric_limits<int>::max()) + " (got " + std::to_string(v) + ")");
    return v;
  }
  double positive(const std::string& k, double fallback, bool required = false) const {
    const toml::node* n = find(k, required);
    if (!n) return fallback;
    if (!n->is_number() || !(n->value<double>().value() > 0) || !std::isfinite(n->value<double>().value()))
      fail_at(*n, k, "must be a finite number > 0");
    return n->value<double>().value();
  }
  // A value parsed by `parse` (which throws std::invalid_argument); the message is kept, placed at the key.
  template <class T, class F>
  T parsed(const std::string& k, T fallback, F parse) const {
    const toml::node* n = find(k, false);
    if (!n) return fallback;
    const std::string v = text(k, "");
    try {
      return parse(v);
    } catch (const std::invalid_argument& e) {
      fail_at(*n, k, e.what());
    }
  }

 private:
  const std::string& file_;
  const toml::table& t_;
  std::string path_;
};

SramConfig sram(const Section& srams, const char* which) {
  const Section t = *srams.sub(which, true);
  t.allow({"kib", "banks", "bytes_per_cycle"});
  const double bytes = t.positive("kib", 0, true) * 1024;
  if (!std::isfinite(bytes)) t.fail_at(*t.find("kib", true), "kib", "is too large");
  return {bytes, static_cast<int>(t.count("banks", 1, 1, true)), t.positive("bytes_per_cycle", 0, true)};
}

ArchConfig parse(const std::string& file, const toml::table& root_table) {
  const Section root(file, root_table, "");
  root.allow({"arch", "array", "pe", "formats", "sram", "dram", "tech"});
  ArchConfig a;
  a.name = std::filesystem::path(file).stem().string();
  if (auto t = root.sub("arch", false)) t->allow({"name"}), a.name = t->text("name", a.name);
  const Section arr = *root.sub("array", true);
  arr.allow({"rows", "cols", "dataflow", "clock_mhz"});
  a.rows = static_cast<int>(arr.count("rows", 1, 0, true));
  a.cols = static_cast<int>(arr.count("cols", 1, 0, true));
  a.clock_mhz = arr.positive("clock_mhz", 0, true);
  const std::string d = arr.text("dataflow", "", true);
  if (d == "weight_stationary") a.dataflow = Dataflow::weight_stationary;
  else if (d == "output_stationary") a.dataflow = Dataflow::output_stationary;
  else arr.fail_at(*arr.find("dataflow", true), "dataflow", "unknown dataflow '" + d + "' (known: weight_stationary, output_stationary)");
  if (auto t = root.sub("pe", false)) t->allow({"unit"}), a.unit = t->text("unit", a.unit);
  if (auto t = root.sub("formats", false)) {
    t->allow({"weights", "acts", "acc"});
    auto fmt = [](const std::string& v) { return find_format(v).id; };
    a.weights = t->parsed("weights", a.weights, fmt);
    a.acts = t->parsed("acts", a.acts, fmt);
    a.acc = t->parsed("acc", a.acc, [](const std::string& v) { return AccFormat::parse(v); });
  }
  const Section srams = *root.sub("sram", true);
  srams.allow({"weight", "activation", "output"});
  a.weight_sram = sram(srams, "weight"), a.act_sram = sram(srams, "activation"), a.out_sram = sram(srams, "output");
  const Section dr = *root.sub("dram", true);
  dr.allow({"gbps", "bytes_per_cycle", "latency_cycles", "burst_bytes"});
  const toml::node *gb = dr.find("gbps", false), *bpc = dr.find("bytes_per_cycle", false);
  if (gb && bpc) dr.fail_at(*bpc, "bytes_per_cycle", "give either dram.gbps or dram.bytes_per_cycle, not both");
  if (!gb && !bpc) dr.find("gbps", true);
  // GB/s = 1e9 bytes/s; at clock_mhz the channel moves gbps * 1e3 / clock_mhz bytes per cycle
  a.dram.bytes_per_cycle = gb ? dr.positive("gbps", 0) * 1e3 / a.clock_mhz : dr.positive("bytes_per_cycle", 0);
  if (!(a.dram.bytes_per_cycle > 0 && std::isfinite(a.dram.bytes_per_cycle)))
    dr.fail_at(gb ? *gb : *bpc, "gbps", "gives " + std::to_string(a.dram.bytes_per_cycle) + " bytes per cycle at array.clock_mhz");
  a.dram.latency_cycles = static_cast<int>(dr.count("latency_cycles", 0, 0, true));
  a.dram.burst_bytes = static_cast<int>(dr.count("burst_bytes", 1, 64, true));
  if (auto t = root.sub("tech", false)) {
    t->allow({"node_nm", "vdd"});
    a.node_nm = t->positive("node_nm", a.node_nm), a.vdd = t->positive("vdd", a.vdd);
  }
  return a;
}

}  // namespace

ArchConfig parse_arch(const std::string& text, const std::string& file_name) {
  toml::table root;
  try {
    root = toml::parse(text, file_name);
  } catch (const toml::parse_error& e) {
    throw ArchError(file_name + ":" + std::to_string(e.source().begin.line) + ":" +
                    std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
  }
  return parse(file_name, root);
}

ArchConfig load_arch(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw ArchError(file.string() + ": cannot open the architecture file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_arch(ss.str(), file.string());
}

std::filesystem::path shipped_arch(const std::string& name) {
  return std::filesystem::path(MXLAB_SIM_ARCH_DIR) / (name + ".toml");
}

}  // namespace mxlab::sim
