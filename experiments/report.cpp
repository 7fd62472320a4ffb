// Sweep reports: one table model rendered as Markdown and CSV, the Pareto front, plots and comparisons.
#include "experiments/report.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "formats/atomic_file.hpp"

#ifndef MXLAB_SOURCE_DIR
#define MXLAB_SOURCE_DIR "."
#endif

namespace mxlab::experiments {
namespace {

namespace fs = std::filesystem;

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  std::string markdown() const {
    std::ostringstream s;
    auto line = [&](const std::vector<std::string>& cells) {
      s << "|";
      for (const auto& c : cells) s << " " << c << " |";
      s << "\n";
    };
    line(header);
    line(std::vector<std::string>(header.size(), "---"));
    for (const auto& r : rows) line(r);
    return s.str();
  }
  // RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled.
  std::string csv() const {
    std::ostringstream s;
    auto line = [&](const std::vector<std::string>& cells) {
      for (std::size_t i = 0; i < cells.size(); ++i) {
        const std::string& c = cells[i];
        if (c.find_first_of(",\"\n\r") == std::string::npos) s << c;
        else {
          s << '"';
          for (char ch : c) s << (ch == '"' ? "\"\"" : std::string(1, ch));
          s << '"';
        }
        s << (i + 1 < cells.size() ? "," : "\n");
      }
    };
    line(header);
    for (const auto& r : rows) line(r);
    return s.str();
  }
};

std::string num(double v, const char* f = "%.4f") {
  if (std::isnan(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string attr(const PointRecord& p, const std::string& key) {
  if (p.config.contains("point") && p.config["point"].contains(key)) {
    const auto& v = p.config["point"][key];
    return v.is_string() ? v.get<std::string>() : v.dump();
  }
  const auto it = p.attrs.find(key);
  return it == p.attrs.end() ? "" : it->second;
}

std::vector<const PointRecord*> ok_points(const StoreContents& s) {
  std::vector<const PointRecord*> out;
  for (const auto& p : s.points)
    if (p.ok()) out.push_back(&p);
  return out;
}

// KL of the first text versus `x` (bits_per_weight, a cost or accelerator metric) over the ok points.
std::vector<bool> front_of(const StoreContents& s, const std::string& kl, const std::string& x_metric = "bits_per_weight") {
  std::vector<double> x, y;
  for (const PointRecord* p : ok_points(s)) x.push_back(p->metric(x_metric)), y.push_back(p->metric(kl));
  return pareto_front(x, y);
}

// Runs argv (no shell); returns the exit status, or -1 when it could not start or was killed.
int run_command(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace

std::string python_interpreter() {
  if (const char* e = std::getenv("MXLAB_PYTHON"); e && *e) return e;
  return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

namespace {

fs::path plot_script() {
  if (const char* e = std::getenv("MXLAB_PLOT_SCRIPT"); e && *e) return e;
  return fs::path(MXLAB_SOURCE_DIR) / "experiments/plot/plot_sweep.py";
}

void ensure_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) throw std::runtime_error(dir.string() + ": cannot create the report directory");
}

}  // namespace

std::vector<bool> pareto_front(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  std::vector<bool> on(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) continue;
    bool dominated = false;
    for (std::size_t j = 0; j < n && !dominated; ++j)
      dominated = j != i && x[j] <= x[i] && y[j] <= y[i] && (x[j] < x[i] || y[j] < y[i]);
    on[i] = !dominated;
  }
  return on;
}

std::vector<std::string> text_names(const StoreContents& s) {
  std::vector<std::string> names;
  if (s.points.empty()) return names;
  const auto& cfg = s.points.front().config;
  if (cfg.contains("session") && cfg["session"].contains("eval_texts"))
    for (const auto& t : cfg["session"]["eval_texts"]) names.push_back(t.value("name", ""));
  return names;
}

std::vector<CostAxis> cost_axes(const StoreContents& s) {
  std::vector<CostAxis> axes;
  auto finite_somewhere = [&](const std::string& m) {
    for (const PointRecord* p : ok_points(s))
      if (std::isfinite(p->metric(m))) return true;
    return false;
  };
  for (const CostAxis& a : {CostAxis{"cost.area_um2", "area"}, CostAxis{"cost.pj_per_mac", "energy"},
                            CostAxis{"accel.cycles", "cycles"}, CostAxis{"accel.uj_per_token", "energy_per_token"}})
    if (finite_somewhere(a.metric)) axes.push_back(a);
  return axes;
}

std::vector<std::string> extra_columns(const StoreContents& s) {
  std::set<std::string> keys;
  for (const auto& p : s.points)
    for (const auto& [k, v] : p.metrics)
      if (k.rfind("cost.", 0) == 0 || k.rfind("accel.", 0) == 0) keys.insert(k);
  return {keys.begin(), keys.end()};
}

ReportOutput write_report(const fs::path& results, const ReportOptions& opt) {
  const StoreContents s = read_store(results);
  const std::vector<std::string> texts = text_names(s), extra = extra_columns(s);
  const std::string kl = texts.empty() ? "" : texts[0] + ".kld_mean";
  const std::vector<const PointRecord*> ok = ok_points(s);
  const std::vector<bool> front = front_of(s, kl);

  Table md, csv;
  md.header = {"weights", "acts", "pipeline", "gemm/acc", "bits/weight"};
  csv.header = {"name", "weights", "acts", "pipeline", "block", "act_block", "gemm", "acc", "tensor_scale", "bits_per_weight"};
  for (const auto& t : texts) {
    for (const char* h : {"PPL ", "KL ", "KL p99.9 "}) md.header.push_back(h + t);
    md.header.push_back("top-1 " + t);
    for (const char* m : {".ppl", ".kld_mean", ".kld_p999", ".top1", ".ref_ppl"}) csv.header.push_back(t + m);
  }
  for (const auto& e : extra) md.header.push_back(e), csv.header.push_back(e);
  md.header.push_back("Pareto");
  csv.header.insert(csv.header.end(), {"pareto", "seconds"});
  if (!ok.empty()) {  // FP32 reference: KL 0 and top-1 1 by definition
    std::vector<std::string> r{"fp32", "fp32", "-", "-", "32"};
    for (const auto& t : texts) r.insert(r.end(), {num(ok[0]->metric(t + ".ref_ppl")), "0", "0", "1"});
    r.resize(md.header.size(), "");
    md.rows.push_back(r);
  }
  std::string front_names;
  for (std::size_t k = 0; k < ok.size(); ++k) {
    const PointRecord& p = *ok[k];
    const std::string ts = attr(p, "tensor_scale") == "true" ? "+ts" : "";
    std::vector<std::string> r{attr(p, "weights") + (attr(p, "block") != "0" ? "/" + attr(p, "block") : "") + ts,
                               attr(p, "acts"), attr(p, "pipeline"),
                               attr(p, "gemm") == "exact" ? "exact/" + attr(p, "acc") : attr(p, "gemm"),
                               num(p.metric("bits_per_weight"), "%.5g")};
    std::vector<std::string> c{p.name, attr(p, "weights"), attr(p, "acts"), attr(p, "pipeline"), attr(p, "block"),
                               attr(p, "act_block"), attr(p, "gemm"), attr(p, "acc"), attr(p, "tensor_scale"),
                               num(p.metric("bits_per_weight"), "%.17g")};
    for (const auto& t : texts) {
      r.insert(r.end(), {num(p.metric(t + ".ppl")), num(p.metric(t + ".kld_mean"), "%.5f"),
                         num(p.metric(t + ".kld_p999"), "%.4f"), num(p.metric(t + ".top1"))});
      for (const char* m : {".ppl", ".kld_mean", ".kld_p999", ".top1", ".ref_ppl"}) c.push_back(num(p.metric(t + m), "%.17g"));
    }
    for (const auto& e : extra) r.push_back(num(p.metric(e), "%.5g")), c.push_back(num(p.metric(e), "%.17g"));
    r.push_back(front[k] ? "**yes**" : "");
    c.insert(c.end(), {front[k] ? "1" : "0", num(p.metric("seconds"), "%.3f")});
    md.rows.push_back(r);
    csv.rows.push_back(c);
    if (front[k]) front_names += p.name + "\n";
  }

  std::ostringstream doc;
  doc << "# Sweep " << (s.attrs.count("sweep") ? s.attrs.at("sweep") : results.stem().string()) << "\n\n"
      << "Results: `" << results.string() << "`; spec sha256 " << (s.attrs.count("spec_sha256") ? s.attrs.at("spec_sha256") : "?")
      << "; commit " << (s.attrs.count("git_commit") ? s.attrs.at("git_commit") : "?") << "; host "
      << (s.attrs.count("host") ? s.attrs.at("host") : "?") << ".\n\n"
      << ok.size() << " points ok, " << s.points.size() - ok.size() << " failed. Pareto: not dominated in ("
      << "bits/weight, KL " << (texts.empty() ? "?" : texts[0]) << "), both lower = better.\n\n"
      << md.markdown();
  const std::vector<CostAxis> axes = cost_axes(s);
  std::vector<std::pair<fs::path, std::string>> fronts;  // pareto_<name>.txt and its point names
  if (!axes.empty()) doc << "\n## Pareto fronts against hardware cost\n\nKL " << (texts.empty() ? "?" : texts[0])
                         << " versus each cost column (points without it left out), both lower = better:\n\n";
  for (const CostAxis& a : axes) {
    const std::vector<bool> f = front_of(s, kl, a.metric);
    std::string names, listed;
    for (std::size_t k = 0; k < ok.size(); ++k)
      if (f[k]) names += ok[k]->name + "\n", listed += (listed.empty() ? "`" : ", `") + ok[k]->name + "`";
    doc << "- " << a.metric << ": " << (listed.empty() ? "(no point)" : listed) << "\n";
    fronts.emplace_back(opt.out_dir / ("pareto_" + a.name + ".txt"), names);
  }
  if (ok.size() != s.points.size()) {
    doc << "\n## Failed points\n\n";
    for (const auto& p : s.points)
      if (!p.ok()) doc << "- `" << p.name << "`: " << (p.attrs.count("error") ? p.attrs.at("error") : "?") << "\n";
  }

  ensure_dir(opt.out_dir);
  ReportOutput o;
  o.markdown = md.markdown();
  const std::vector<std::pair<fs::path, std::string>> outputs{
      {opt.out_dir / "sweep.md", doc.str()}, {opt.out_dir / "sweep.csv", csv.csv()}, {opt.out_dir / "pareto.txt", front_names}};
  for (const auto& [path, text] : outputs) AtomicFile::write_file(path, text), o.files.push_back(path);
  for (const auto& [path, text] : fronts) AtomicFile::write_file(path, text), o.files.push_back(path);

  if (opt.plots == "off") return o;
  std::vector<std::string> argv{python_interpreter(), plot_script().string(), results.string(), opt.out_dir.string(),
                                "--front", (opt.out_dir / "pareto.txt").string()};
  std::vector<std::string> plots{"kl_vs_bits", "ppl_vs_bits"};
  for (std::size_t i = 0; i < axes.size(); ++i) {
    argv.insert(argv.end(), {"--axis", axes[i].metric, axes[i].name, fronts[i].first.string()});
    plots.push_back("kl_vs_" + axes[i].name);
  }
  const int rc = run_command(argv);
  if (rc == 0) {
    for (const auto& p : plots)
      for (const char* ext : {".png", ".svg"}) o.files.push_back(opt.out_dir / (p + ext));
  } else if (opt.plots == "on" || rc != 3) {
    throw std::runtime_error("plots: " + plot_script().string() + " failed (exit " + std::to_string(rc) + ")" +
                             (rc == 3 ? ": python3-matplotlib or python3-h5py missing (scripts/install-deps)" : ""));
  } else {
    o.note = "plots skipped: python3-matplotlib or python3-h5py missing (scripts/install-deps installs them)";
  }
  return o;
}

ReportOutput write_comparison(const fs::path& a, const fs::path& b, const ReportOptions& opt) {
  const StoreContents sa = read_store(a), sb = read_store(b);
  const std::vector<std::string> texts = text_names(sa);
  const std::string t = texts.empty() ? "" : texts[0];
  std::map<std::string, const PointRecord*> in_b;
  for (const auto& p : sb.points) in_b[p.name] = &p;
  Table tab;
  tab.header = {"point", "bits A", "bits B", "PPL A", "PPL B", "KL A", "KL B", "KL B-A", "top-1 A", "top-1 B"};
  std::string only_a;
  for (const auto& p : sa.points) {
    const auto it = in_b.find(p.name);
    if (it == in_b.end()) {
      only_a += "- `" + p.name + "`\n";
      continue;
    }
    const PointRecord& q = *it->second;
    in_b.erase(it);
    tab.rows.push_back({p.name, num(p.metric("bits_per_weight"), "%.5g"), num(q.metric("bits_per_weight"), "%.5g"),
                        num(p.metric(t + ".ppl")), num(q.metric(t + ".ppl")), num(p.metric(t + ".kld_mean"), "%.5f"),
                        num(q.metric(t + ".kld_mean"), "%.5f"),
                        num(q.metric(t + ".kld_mean") - p.metric(t + ".kld_mean"), "%+.5f"), num(p.metric(t + ".top1")),
                        num(q.metric(t + ".top1"))});
  }
  std::ostringstream doc;
  doc << "# Comparison\n\nA: `" << a.string() << "`\n\nB: `" << b.string() << "`\n\nMetrics on " << t << ".\n\n"
      << tab.markdown();
  if (!only_a.empty()) doc << "\n## Only in A\n\n" << only_a;
  if (!in_b.empty()) {
    doc << "\n## Only in B\n\n";
    for (const auto& [name, p] : in_b) doc << "- `" << name << "`\n";
  }
  ensure_dir(opt.out_dir);
  ReportOutput o;
  o.markdown = tab.markdown();
  AtomicFile::write_file(opt.out_dir / "compare.md", doc.str());
  AtomicFile::write_file(opt.out_dir / "compare.csv", tab.csv());
  o.files = {opt.out_dir / "compare.md", opt.out_dir / "compare.csv"};
  return o;
}

}  // namespace mxlab::experiments
