// Sweep spec parsing (toml++): every value is checked where it is written, so errors carry its line and key.
#include "experiments/sweep_spec.hpp"

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "algorithms/ptq.hpp"
#include "formats/rounding.hpp"
#include "rtl/models/units.hpp"
#include "sim/simulate.hpp"

namespace mxlab::experiments {
namespace {

namespace fs = std::filesystem;

// The point keys, outermost first: a grid varies the last key fastest.
const std::vector<std::string> kPointKeys{"weights", "acts",  "pipeline", "block",        "act_block",
                                          "gemm",    "acc",   "round",    "tensor_scale", "quantize_classifier"};

// The most points one spec may name (a guard against a mistyped grid; a real sweep is far smaller).
constexpr std::size_t kMaxPoints = 10000;
constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

class Parser {
 public:
  Parser(fs::path file, fs::path data_dir) : file_(std::move(file)), data_(std::move(data_dir)) {}

  [[noreturn]] void fail(const toml::source_region& where, const std::string& key, const std::string& msg) const {
    throw SpecError(file_.string() + ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column) +
                    ": " + key + ": " + msg);
  }
  std::string origin(const toml::node& n) const {
    return file_.string() + ":" + std::to_string(n.source().begin.line) + ":" + std::to_string(n.source().begin.column);
  }

  // Rejects keys of `t` outside `known`.
  void only(const toml::table& t, const std::string& prefix, const std::set<std::string>& known) const {
    for (auto&& [k, v] : t)
      if (!known.count(std::string(k.str()))) {
        std::string list;
        for (const auto& s : known) list += (list.empty() ? "" : ", ") + s;
        fail(k.source(), prefix + std::string(k.str()), "unknown key (known here: " + list + ")");
      }
  }

  const toml::table* table(const toml::table& root, const std::string& key) const {
    const toml::node* n = root.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(n->source(), key, "must be a table [" + key + "]");
    return n->as_table();
  }

  std::string str(const toml::node& n, const std::string& key) const {
    if (!n.is_string()) fail(n.source(), key, "must be a string");
    return n.value<std::string>().value();
  }
  std::int64_t integer(const toml::node& n, const std::string& key, std::int64_t min,
                       std::int64_t max = std::numeric_limits<std::int64_t>::max()) const {
    if (!n.is_integer()) fail(n.source(), key, "must be an integer");
    const std::int64_t v = n.value<std::int64_t>().value();
    if (v < min) fail(n.source(), key, "must be >= " + std::to_string(min) + " (got " + std::to_string(v) + ")");
    if (v > max) fail(n.source(), key, "must be <= " + std::to_string(max) + " (got " + std::to_string(v) + ")");
    return v;
  }
  double number(const toml::node& n, const std::string& key) const {
    if (!n.is_number()) fail(n.source(), key, "must be a number");
    const double v = n.value<double>().value();
    if (!(v > 0) || !std::isfinite(v)) fail(n.source(), key, "must be a finite number > 0");
    return v;
  }
  bool boolean(const toml::node& n, const std::string& key) const {
    if (!n.is_boolean()) fail(n.source(), key, "must be true or false");
    return n.value<bool>().value();
  }
  // An existing file: beside the spec, else under the data directory.
  fs::path path(const toml::node& n, const std::string& key) const {
    const fs::path p(str(n, key));
    if (p.is_absolute()) {
      if (!fs::exists(p)) fail(n.source(), key, "no such file: " + p.string());
      return p;
    }
    for (const fs::path& base : {file_.parent_path(), data_})
      if (fs::exists(base / p)) return fs::absolute(base / p).lexically_normal();
    fail(n.source(), key, "no such file: " + p.string() + " (looked beside the spec and under the data directory " +
                              data_.string() + ")");
  }

  // One point value of `key` (shown in errors as `shown`), checked on its own: the string it stands for in SweepPoint.
  std::string point_value(const toml::node& n, const std::string& key, const std::string& shown) const {
    const bool flag = key == "tensor_scale" || key == "quantize_classifier";
    if (flag) return boolean(n, shown) ? "true" : "false";
    std::string v;
    if ((key == "block" || key == "act_block") && n.is_integer()) v = std::to_string(integer(n, shown, 0));
    else v = str(n, shown);
    try {
      if (key == "weights" || key == "acts") model::TensorQuant::parse(v);
      else if (key == "pipeline") algorithms::parse_pipeline(v);
      else if (key == "block" || key == "act_block") model::parse_block(v);
      else if (key == "gemm") model::parse_gemm_mode(v);
      else if (key == "acc") AccFormat::parse(v);
      else if (key == "round") parse_round(v);
    } catch (const std::exception& e) {
      fail(n.source(), shown, e.what());
    }
    if (key == "weights" && v == "none") fail(n.source(), shown, "a sweep point needs a weight format");
    return v;
  }

  static void set(SweepPoint& p, const std::string& key, const std::string& v) {
    if (key == "weights") p.weights = v;
    else if (key == "acts") p.acts = v;
    else if (key == "pipeline") p.pipeline = v;
    else if (key == "block") p.block = v;
    else if (key == "act_block") p.act_block = v;
    else if (key == "gemm") p.gemm = v;
    else if (key == "acc") p.acc = v;
    else if (key == "round") p.round = v;
    else if (key == "tensor_scale") p.tensor_scale = v == "true";
    else p.quantize_classifier = v == "true";
  }

  // A [grid] table: every key a value or a non-empty array of values; the cartesian product, last key fastest.
  void grid(const toml::table& g, const std::string& prefix, std::vector<SweepPoint>& out) const {
    only(g, prefix, {kPointKeys.begin(), kPointKeys.end()});
    if (!g.get("weights")) fail(g.source(), prefix + "weights", "missing (the weight formats to sweep)");
    std::vector<std::pair<std::string, std::vector<std::string>>> axes;
    for (const std::string& key : kPointKeys) {
      const toml::node* n = g.get(key);
      if (!n) continue;
      std::vector<std::string> values;
      if (const toml::array* a = n->as_array()) {
        if (a->empty()) fail(n->source(), prefix + key, "empty array (give at least one value)");
        for (const toml::node& e : *a) values.push_back(point_value(e, key, prefix + key));
      } else {
        values.push_back(point_value(*n, key, prefix + key));
      }
      axes.emplace_back(key, std::move(values));
    }
    // Refuse an absurd product before expanding it (a 4 KB spec can name 10^10 points).
    std::size_t product = 1;
    for (const auto& axis : axes)
      product = axis.second.size() > kMaxPoints / product ? kMaxPoints + 1 : product * axis.second.size();
    if (out.size() + product > kMaxPoints) too_many(g);
    std::vector<std::size_t> idx(axes.size(), 0);
    for (;;) {
      SweepPoint p;
      p.origin = origin(g);
      for (std::size_t k = 0; k < axes.size(); ++k) set(p, axes[k].first, axes[k].second[idx[k]]);
      out.push_back(p);
      std::size_t k = axes.size();
      while (k > 0 && ++idx[k - 1] == axes[k - 1].second.size()) idx[--k] = 0;
      if (k == 0) break;
    }
  }

  [[noreturn]] void too_many(const toml::node& where) const {
    fail(where.source(), "grid", "the spec names more than " + std::to_string(kMaxPoints) +
                                     " points: split the sweep into several specs");
  }

  SweepPoint listed(const toml::table& t, const std::string& prefix) const {
    only(t, prefix, {kPointKeys.begin(), kPointKeys.end()});
    if (!t.get("weights")) fail(t.source(), prefix + "weights", "missing (every point needs a weight format)");
    SweepPoint p;
    p.origin = origin(t);
    for (auto&& [k, v] : t) {
      const std::string key(k.str());
      if (v.is_array()) fail(v.source(), prefix + key, "a listed point takes one value (use [grid] for products)");
      set(p, key, point_value(v, key, prefix + key));
    }
    return p;
  }

  void session(const toml::table& root, SweepSpec& s) const {
    algorithms::PtqSessionOptions& o = s.session;
    const toml::table* m = table(root, "model");
    if (m) only(*m, "model.", {"model", "tokenizer"});
    auto model_file = [&](const char* key, const char* fallback) {
      const toml::node* n = m ? m->get(key) : nullptr;
      if (n) return path(*n, std::string("model.") + key);
      const fs::path d = data_ / fallback;
      if (!fs::exists(d)) fail(root.source(), std::string("model.") + key, "not given, and the default " + d.string() + " is missing");
      return d;
    };
    o.model = model_file("model", "models/stories260K.bin");
    o.tokenizer = model_file("tokenizer", "models/tok512.bin");

    o.eval_texts.clear();
    const toml::table* e = table(root, "eval");
    if (e) only(*e, "eval.", {"texts", "tokens"});
    if (const toml::node* n = e ? e->get("tokens") : nullptr) o.eval_tokens = static_cast<std::size_t>(integer(*n, "eval.tokens", 0));
    if (const toml::node* n = e ? e->get("texts") : nullptr) {
      const toml::array* a = n->as_array();
      if (!a || a->empty()) fail(n->source(), "eval.texts", "must be a non-empty array of {name = \"...\", file = \"...\"}");
      std::set<std::string> names;
      for (const toml::node& t : *a) {
        const toml::table* tt = t.as_table();
        if (!tt || !tt->get("name") || !tt->get("file"))
          fail(t.source(), "eval.texts", "each text is {name = \"...\", file = \"...\"}");
        only(*tt, "eval.texts.", {"name", "file"});
        const std::string name = str(*tt->get("name"), "eval.texts.name");
        if (!names.insert(name).second) fail(t.source(), "eval.texts.name", "duplicate text name '" + name + "'");
        o.eval_texts.emplace_back(name, path(*tt->get("file"), "eval.texts.file"));
      }
    } else {
      for (const auto& [name, file] : algorithms::kDefaultEvalTexts) {
        if (!fs::exists(data_ / file)) fail(root.source(), "eval.texts", "not given, and the default " + (data_ / file).string() + " is missing");
        o.eval_texts.emplace_back(name, data_ / file);
      }
    }

    const toml::table* c = table(root, "calibration");
    if (!c) return;
    only(*c, "calibration.", {"text", "samples", "length", "seed", "allow_overlap"});
    if (const toml::node* n = c->get("text"); n && !(n->is_string() && n->value<std::string>()->empty()))
      o.calib.text = path(*n, "calibration.text");
    if (const toml::node* n = c->get("samples")) o.calib.samples = static_cast<int>(integer(*n, "calibration.samples", 1, kIntMax));
    if (const toml::node* n = c->get("length")) o.calib.length = static_cast<int>(integer(*n, "calibration.length", 0, kIntMax));
    if (const toml::node* n = c->get("seed")) o.calib.seed = static_cast<std::uint64_t>(integer(*n, "calibration.seed", 0));
    if (const toml::node* n = c->get("allow_overlap")) o.allow_overlap = boolean(*n, "calibration.allow_overlap");
  }

  void hardware(const toml::table& root, HardwareSpec& h) const {
    const toml::table* t = table(root, "hardware");
    if (!t) return;
    h.present = true;
    only(*t, "hardware.", {"liberty", "corner", "clock_mhz", "array_rows", "array_cols", "sram_kib", "dram_gbps", "cost",
                           "units", "vectors", "random_operands", "accelerator", "accel_shape", "accel_phase",
                           "accel_seq", "accel_batch"});
    accelerator(*t, h);
    if (const toml::node* n = t->get("liberty")) h.liberty = path(*n, "hardware.liberty");
    if (const toml::node* n = t->get("corner")) h.corner = str(*n, "hardware.corner");
    if (const toml::node* n = t->get("clock_mhz")) h.clock_mhz = number(*n, "hardware.clock_mhz");
    if (const toml::node* n = t->get("array_rows")) h.array_rows = static_cast<int>(integer(*n, "hardware.array_rows", 1, kIntMax));
    if (const toml::node* n = t->get("array_cols")) h.array_cols = static_cast<int>(integer(*n, "hardware.array_cols", 1, kIntMax));
    if (const toml::node* n = t->get("sram_kib")) h.sram_kib = integer(*n, "hardware.sram_kib", 1);
    if (const toml::node* n = t->get("dram_gbps")) h.dram_gbps = number(*n, "hardware.dram_gbps");
    if (const toml::node* n = t->get("cost")) h.cost = boolean(*n, "hardware.cost");
    if (const toml::node* n = t->get("vectors")) h.vectors = static_cast<std::size_t>(integer(*n, "hardware.vectors", 1));
    if (const toml::node* n = t->get("random_operands")) h.random_operands = boolean(*n, "hardware.random_operands");
    if (const toml::node* n = t->get("units")) {
      const toml::array* a = n->as_array();
      if (!a || a->empty()) fail(n->source(), "hardware.units", "must be a non-empty array of catalog unit names");
      for (const toml::node& u : *a) {
        h.units.push_back(str(u, "hardware.units"));
        try {
          rtl::unit_config(h.units.back());
        } catch (const std::exception& e) {
          fail(u.source(), "hardware.units", e.what());
        }
      }
    }
    for (const char* key : {"units", "vectors", "random_operands"})
      if (!h.cost && t->get(key))
        fail(t->get(key)->source(), std::string("hardware.") + key, "applies to the cost stage: add cost = true");
  }

  void accelerator(const toml::table& t, HardwareSpec& h) const {
    if (const toml::node* n = t.get("accelerator")) {
      const std::string v = str(*n, "hardware.accelerator");
      h.accelerator = v.find('/') == std::string::npos && v.find('.') == std::string::npos ? sim::shipped_arch(v)
                                                                                           : path(*n, "hardware.accelerator");
      try {
        sim::load_arch(h.accelerator);
      } catch (const std::exception& e) {
        fail(n->source(), "hardware.accelerator", e.what());
      }
    }
    if (const toml::node* n = t.get("accel_shape")) try {
        h.accel_shape = str(*n, "hardware.accel_shape");
        sim::named_shape(h.accel_shape);
      } catch (const std::invalid_argument& e) {
        fail(n->source(), "hardware.accel_shape", e.what());
      }
    if (const toml::node* n = t.get("accel_phase")) try {
        h.accel_phase = sim::phase_name(sim::parse_phase(str(*n, "hardware.accel_phase")));
      } catch (const std::invalid_argument& e) {
        fail(n->source(), "hardware.accel_phase", e.what());
      }
    if (const toml::node* n = t.get("accel_seq")) h.accel_seq = integer(*n, "hardware.accel_seq", 1);
    if (const toml::node* n = t.get("accel_batch")) h.accel_batch = integer(*n, "hardware.accel_batch", 1);
    for (const char* key : {"accel_shape", "accel_phase", "accel_seq", "accel_batch"})
      if (h.accelerator.empty() && t.get(key))
        fail(t.get(key)->source(), std::string("hardware.") + key, "applies to the accelerator stage: add accelerator = \"array32\"");
  }

  SweepSpec parse(std::string text) const {
    SweepSpec s;
    s.file = file_;
    s.data_dir = data_;
    s.text = std::move(text);
    toml::table root;
    try {
      root = toml::parse(s.text, file_.string());
    } catch (const toml::parse_error& e) {
      fail(e.source(), "(syntax)", std::string(e.description()));
    }
    only(root, "", {"sweep", "model", "eval", "calibration", "grid", "points", "hardware"});
    s.name = file_.stem().string();
    if (const toml::table* t = table(root, "sweep")) {
      only(*t, "sweep.", {"name"});
      if (const toml::node* n = t->get("name")) s.name = str(*n, "sweep.name");
    }
    session(root, s);
    hardware(root, s.hardware);
    if (const toml::node* g = root.get("grid")) {
      if (const toml::table* t = g->as_table()) grid(*t, "grid.", s.points);
      else if (const toml::array* a = g->as_array(); a && a->is_array_of_tables())
        for (const toml::node& t : *a) grid(*t.as_table(), "grid.", s.points);
      else fail(g->source(), "grid", "must be a table [grid] or tables [[grid]]");
    }
    if (const toml::node* p = root.get("points")) {
      const toml::array* a = p->as_array();
      if (!a || !a->is_array_of_tables()) fail(p->source(), "points", "must be tables [[points]]");
      for (const toml::node& t : *a) s.points.push_back(listed(*t.as_table(), "points."));
      if (s.points.size() > kMaxPoints) too_many(*p);
    }
    if (s.points.empty()) fail(root.source(), "grid", "the spec has no points: add a [grid] or [[points]]");
    std::map<std::string, std::string> seen;
    for (const SweepPoint& p : s.points) {
      try {
        p.scheme();
      } catch (const std::exception& e) {
        throw SpecError(p.origin + ": point " + p.name() + ": " + e.what());
      }
      if (auto [it, fresh] = seen.emplace(p.name(), p.origin); !fresh)
        throw SpecError(p.origin + ": point " + p.name() + ": repeats the point from " + it->second);
    }
    return s;
  }

 private:
  fs::path file_, data_;
};

}  // namespace

SweepSpec load_spec(const fs::path& file, const fs::path& data_dir) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw SpecError(file.string() + ": cannot read the sweep spec");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return parse_spec(bytes.str(), file, data_dir);
}

SweepSpec parse_spec(std::string text, const fs::path& file, const fs::path& data_dir) {
  return Parser(file, data_dir).parse(std::move(text));
}

}  // namespace mxlab::experiments
