// LSAQ's logit-lens layer importance and the bit allocation (exact, greedy and random) under a budget.
#include "algorithms/lsaq.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

#include "algorithms/parallel.hpp"
#include "algorithms/step_params.hpp"

namespace mxlab::algorithms {
namespace {

// Sorted token ids of the k largest logits of every row (ties: the smaller id first).
std::vector<std::vector<int>> top_k(const model::Matrix& logits, int k) {
  std::vector<std::vector<int>> sets(static_cast<std::size_t>(logits.rows()));
  std::vector<int> ids(static_cast<std::size_t>(logits.cols()));
  for (Eigen::Index r = 0; r < logits.rows(); ++r) {
    std::iota(ids.begin(), ids.end(), 0);
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int a, int b) {
      return logits(r, a) > logits(r, b) || (logits(r, a) == logits(r, b) && a < b);
    });
    sets[static_cast<std::size_t>(r)].assign(ids.begin(), ids.begin() + k);
    std::sort(sets[static_cast<std::size_t>(r)].begin(), sets[static_cast<std::size_t>(r)].end());
  }
  return sets;
}

double jaccard(const std::vector<int>& a, const std::vector<int>& b) {
  std::vector<int> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  return static_cast<double>(both.size()) / static_cast<double>(a.size() + b.size() - both.size());
}

void check(const AllocationProblem& p) {
  if (p.cost.empty() || p.cost.size() != p.loss.size())
    throw std::invalid_argument("allocation: cost and loss must list the same layers (at least one)");
  for (std::size_t l = 0; l < p.cost.size(); ++l)
    if (p.cost[l].empty() || p.cost[l].size() != p.loss[l].size())
      throw std::invalid_argument("allocation: layer " + std::to_string(l) + " has no candidates or mismatched lists");
}

Allocation evaluate(const AllocationProblem& p, std::vector<int> choice) {
  Allocation a{std::move(choice), 0, 0.0};
  for (std::size_t l = 0; l < a.choice.size(); ++l) {
    a.cost += p.cost[l][static_cast<std::size_t>(a.choice[l])];
    a.loss += p.loss[l][static_cast<std::size_t>(a.choice[l])];
  }
  return a;
}

// Every layer at its cheapest candidate (ties: the smaller loss); throws when that exceeds the budget.
std::vector<int> cheapest(const AllocationProblem& p) {
  check(p);
  std::vector<int> c(p.cost.size());
  for (std::size_t l = 0; l < c.size(); ++l)
    for (std::size_t j = 1; j < p.cost[l].size(); ++j) {
      const auto best = static_cast<std::size_t>(c[l]);
      if (p.cost[l][j] < p.cost[l][best] || (p.cost[l][j] == p.cost[l][best] && p.loss[l][j] < p.loss[l][best]))
        c[l] = static_cast<int>(j);
    }
  if (const Allocation a = evaluate(p, c); a.cost > p.budget)
    throw std::invalid_argument("budget of " + std::to_string(p.budget) + " bits is below the cheapest allocation (" +
                                std::to_string(a.cost) + " bits)");
  return c;
}

// Upgrades (layer, candidate) from `choice` that lower the loss and fit the budget.
std::vector<std::pair<std::size_t, std::size_t>> upgrades(const AllocationProblem& p, const Allocation& a) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t l = 0; l < a.choice.size(); ++l) {
    const auto cur = static_cast<std::size_t>(a.choice[l]);
    for (std::size_t j = 0; j < p.cost[l].size(); ++j)
      if (p.loss[l][j] < p.loss[l][cur] && a.cost - p.cost[l][cur] + p.cost[l][j] <= p.budget) out.emplace_back(l, j);
  }
  return out;
}

}  // namespace

std::vector<double> logit_lens_importance(const model::Runtime& rt, std::span<const int> calib, int ctx, int k) {
  const model::ModelConfig& c = rt.config();
  if (k < 1 || k > c.vocab_size)
    throw std::invalid_argument("lsaq: k must be in [1, " + std::to_string(c.vocab_size) + "] (got " + std::to_string(k) + ")");
  if (ctx <= 0) ctx = c.seq_len;
  const std::size_t windows = calib.size() / static_cast<std::size_t>(ctx);
  if (windows == 0) throw std::invalid_argument("lsaq: fewer calibration tokens than one window of " + std::to_string(ctx));
  std::vector<std::vector<double>> sums(windows, std::vector<double>(static_cast<std::size_t>(c.n_layers), 0.0));
  parallel_items(0, windows, [&](std::size_t w) {
    model::Runtime run = rt;
    model::Matrix x = run.embed(calib.subspan(w * static_cast<std::size_t>(ctx), static_cast<std::size_t>(ctx)));
    std::vector<std::vector<int>> before = top_k(run.head(x), k);
    for (int l = 0; l < c.n_layers; ++l) {
      run.run_layers(x, l, l + 1);
      std::vector<std::vector<int>> after = top_k(run.head(x), k);
      for (std::size_t t = 0; t < after.size(); ++t) sums[w][static_cast<std::size_t>(l)] += jaccard(before[t], after[t]);
      before = std::move(after);
    }
  });
  std::vector<double> importance(static_cast<std::size_t>(c.n_layers), 0.0);
  for (std::size_t l = 0; l < importance.size(); ++l) {
    double s = 0;
    for (const auto& w : sums) s += w[l];  // windows in order
    importance[l] = 1.0 - s / static_cast<double>(windows * static_cast<std::size_t>(ctx));
  }
  return importance;
}

Allocation allocate_exact(const AllocationProblem& p) {
  cheapest(p);  // validates and checks feasibility
  struct State { std::uint64_t cost; double loss; int prev, choice; };
  std::vector<std::vector<State>> front(p.cost.size() + 1);
  front[0] = {{0, 0.0, -1, -1}};
  for (std::size_t l = 0; l < p.cost.size(); ++l) {
    std::vector<State> next;
    for (std::size_t s = 0; s < front[l].size(); ++s)
      for (std::size_t j = 0; j < p.cost[l].size(); ++j) {
        const State& st = front[l][s];
        if (p.cost[l][j] > p.budget - st.cost) continue;  // st.cost <= budget always
        next.push_back({st.cost + p.cost[l][j], st.loss + p.loss[l][j], static_cast<int>(s), static_cast<int>(j)});
      }
    // Pareto front: by cost, keeping only states strictly better than every cheaper one (stable: earlier first).
    std::stable_sort(next.begin(), next.end(), [](const State& a, const State& b) {
      return a.cost < b.cost || (a.cost == b.cost && a.loss < b.loss);
    });
    for (const State& st : next)
      if (front[l + 1].empty() || st.loss < front[l + 1].back().loss) front[l + 1].push_back(st);
  }
  std::vector<int> choice(p.cost.size());
  int at = static_cast<int>(front.back().size()) - 1;  // the last state has the smallest loss
  for (std::size_t l = p.cost.size(); l > 0; --l) {
    const State& st = front[l][static_cast<std::size_t>(at)];
    choice[l - 1] = st.choice;
    at = st.prev;
  }
  return evaluate(p, std::move(choice));
}

Allocation allocate_greedy(const AllocationProblem& p) {
  Allocation a = evaluate(p, cheapest(p));
  for (;;) {
    double best_ratio = -1;
    std::pair<std::size_t, std::size_t> best{};
    for (const auto& [l, j] : upgrades(p, a)) {
      const auto cur = static_cast<std::size_t>(a.choice[l]);
      const double gain = p.loss[l][cur] - p.loss[l][j];
      const double extra = static_cast<double>(p.cost[l][j]) - static_cast<double>(p.cost[l][cur]);
      const double ratio = extra <= 0 ? INFINITY : gain / extra;
      if (ratio > best_ratio) { best_ratio = ratio; best = {l, j}; }
    }
    if (best_ratio < 0) return a;
    a.choice[best.first] = static_cast<int>(best.second);
    a = evaluate(p, std::move(a.choice));
  }
}

Allocation allocate_random(const AllocationProblem& p, std::uint64_t seed) {
  std::vector<int> start = cheapest(p);  // validates and checks feasibility
  std::mt19937_64 rng(seed);
  for (std::size_t l = 0; l < start.size(); ++l) {  // a uniform draw among the layer's cheapest candidates
    std::vector<int> ties;
    for (std::size_t j = 0; j < p.cost[l].size(); ++j)
      if (p.cost[l][j] == p.cost[l][static_cast<std::size_t>(start[l])]) ties.push_back(static_cast<int>(j));
    start[l] = ties[std::uniform_int_distribution<std::size_t>(0, ties.size() - 1)(rng)];
  }
  Allocation a = evaluate(p, std::move(start));
  for (;;) {  // uniform draws among the strictly more expensive candidates that fit, blind to the loss
    std::vector<std::pair<std::size_t, std::size_t>> ups;
    for (std::size_t l = 0; l < a.choice.size(); ++l) {
      const std::uint64_t cur = p.cost[l][static_cast<std::size_t>(a.choice[l])];
      for (std::size_t j = 0; j < p.cost[l].size(); ++j)
        if (p.cost[l][j] > cur && a.cost - cur + p.cost[l][j] <= p.budget) ups.emplace_back(l, j);
    }
    if (ups.empty()) return a;
    const auto [l, j] = ups[std::uniform_int_distribution<std::size_t>(0, ups.size() - 1)(rng)];
    a.choice[l] = static_cast<int>(j);
    a = evaluate(p, std::move(a.choice));
  }
}

std::uint64_t parse_budget(std::string_view text, std::uint64_t weights) {
  const std::string s(text);
  auto number = [&](std::size_t suffix) {
    std::size_t used = 0;
    double v = -1;
    try { v = std::stod(s.substr(0, s.size() - suffix), &used); } catch (const std::exception&) { used = 0; }
    if (used != s.size() - suffix || !(v > 0) || !std::isfinite(v))
      throw std::invalid_argument("budget '" + s + "' is not <x>bpw (mean bits per weight) or <n>B (bytes), e.g. 4.5bpw");
    return v;
  };
  if (s.size() > 3 && s.ends_with("bpw")) return static_cast<std::uint64_t>(std::floor(number(3) * static_cast<double>(weights)));
  if (s.size() > 1 && s.ends_with("B")) return static_cast<std::uint64_t>(std::floor(number(1))) * 8;
  number(0);  // throws: no unit
  throw std::invalid_argument("budget '" + s + "' needs a unit: bpw or B, e.g. 4.5bpw");
}

std::string with_budget(std::string_view pipeline, std::string_view budget) {
  std::string out;
  bool found = false;
  std::size_t start = 0;
  while (start <= pipeline.size()) {
    const std::size_t plus = std::min(pipeline.find('+', start), pipeline.size());
    std::string step(pipeline.substr(start, plus - start));
    if (StepParams::parse(step).name() == "lsaq") {
      if (StepParams::parse(step).has("budget"))
        throw std::invalid_argument("--budget given twice: the lsaq step already has budget=");
      step += ":budget=" + std::string(budget);
      found = true;
    }
    out += (out.empty() ? "" : "+") + step;
    start = plus + 1;
  }
  if (!found) throw std::invalid_argument("--budget needs an lsaq step in --algo (e.g. --algo lsaq+gptq)");
  return out;
}

}  // namespace mxlab::algorithms
