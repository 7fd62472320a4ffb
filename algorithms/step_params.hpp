// Parameters of one pipeline step, written after its name: "gptq:act_order=on:static_groups=on". Each
// algorithm's factory names the keys it knows and reads them with defaults and ranges.
#pragma once
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mxlab::algorithms {

class StepParams {
 public:
  StepParams() = default;
  // "name[:key=value[:key=value..]]"; throws std::invalid_argument on an empty name or a malformed or repeated key.
  static StepParams parse(std::string_view step);

  const std::string& name() const { return name_; }
  // "key=value:key=value" as given ("" without parameters).
  std::string describe() const;
  // Throws std::invalid_argument naming the first key not in `known` ("gptq: unknown parameter 'foo' (known: ..)").
  void expect(std::initializer_list<std::string_view> known) const;
  bool has(std::string_view key) const { return value(key) != nullptr; }
  // The raw value, or null when the key was not given.
  const std::string* value(std::string_view key) const;
  // on|off (also true|false, 1|0).
  bool flag(std::string_view key, bool fallback) const;
  // A number in [lo, hi].
  double number(std::string_view key, double fallback, double lo, double hi) const;
  // An integer in [lo, hi].
  int integer(std::string_view key, int fallback, int lo, int hi) const;
  // One of `options` ("gptq: hessian_from=x is not float or quantized").
  std::string choice(std::string_view key, std::string_view fallback, std::initializer_list<std::string_view> options) const;

 private:
  [[noreturn]] void bad_value(std::string_view key, const std::string& value, const std::string& expected) const;
  std::string name_;
  std::vector<std::pair<std::string, std::string>> values_;
};

}  // namespace mxlab::algorithms
