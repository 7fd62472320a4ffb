// Parsing and typed access of a pipeline step's parameters.
#include "algorithms/step_params.hpp"

#include <charconv>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace mxlab::algorithms {

StepParams StepParams::parse(std::string_view step) {
  StepParams p;
  std::size_t colon = std::min(step.find(':'), step.size());
  p.name_ = std::string(step.substr(0, colon));
  if (p.name_.empty()) throw std::invalid_argument("pipeline step '" + std::string(step) + "' has no algorithm name");
  while (colon < step.size()) {
    const std::size_t next = std::min(step.find(':', colon + 1), step.size());
    const std::string_view kv = step.substr(colon + 1, next - colon - 1);
    const std::size_t eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == kv.size())
      throw std::invalid_argument(p.name_ + ": parameter '" + std::string(kv) + "' is not key=value");
    std::string key(kv.substr(0, eq));
    if (p.has(key)) throw std::invalid_argument(p.name_ + ": parameter '" + key + "' given twice");
    p.values_.emplace_back(std::move(key), std::string(kv.substr(eq + 1)));
    colon = next;
  }
  return p;
}

std::string StepParams::describe() const {
  std::string s;
  for (const auto& [k, v] : values_) s += (s.empty() ? "" : ":") + k + "=" + v;
  return s;
}

void StepParams::expect(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, given] : values_) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == key;
    if (ok) continue;
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    throw std::invalid_argument(name_ + ": unknown parameter '" + key + "' (known: " + (list.empty() ? "none" : list) + ")");
  }
}

const std::string* StepParams::value(std::string_view key) const {
  for (const auto& [k, v] : values_)
    if (k == key) return &v;
  return nullptr;
}

void StepParams::bad_value(std::string_view key, const std::string& given, const std::string& expected) const {
  throw std::invalid_argument(name_ + ": " + std::string(key) + "=" + given + " is not " + expected);
}

bool StepParams::flag(std::string_view key, bool fallback) const {
  const std::string* v = value(key);
  if (!v) return fallback;
  if (*v == "on" || *v == "true" || *v == "1") return true;
  if (*v == "off" || *v == "false" || *v == "0") return false;
  bad_value(key, *v, "on or off");
}

double StepParams::number(std::string_view key, double fallback, double lo, double hi) const {
  const std::string* v = value(key);
  if (!v) return fallback;
  double x = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
  std::ostringstream range;
  range << "a number in [" << lo << ", " << hi << "]";
  if (ec != std::errc() || end != v->data() + v->size() || !std::isfinite(x) || x < lo || x > hi)
    bad_value(key, *v, range.str());
  return x;
}

int StepParams::integer(std::string_view key, int fallback, int lo, int hi) const {
  const std::string* v = value(key);
  if (!v) return fallback;
  int x = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
  if (ec != std::errc() || end != v->data() + v->size() || x < lo || x > hi)
    bad_value(key, *v, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

std::string StepParams::choice(std::string_view key, std::string_view fallback,
                               std::initializer_list<std::string_view> options) const {
  const std::string* v = value(key);
  if (!v) return std::string(fallback);
  std::string list;
  for (std::string_view o : options) {
    if (*v == o) return *v;
    list += (list.empty() ? "" : o == *(options.end() - 1) ? " or " : ", ") + std::string(o);
  }
  bad_value(key, *v, list);
}

}  // namespace mxlab::algorithms
