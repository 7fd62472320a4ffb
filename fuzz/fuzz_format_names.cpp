// Fuzzes the option parsers the CLI uses: format names, blocks, rounding, accumulator, gemm and load modes.
#include <cstdint>
#include <exception>
#include <string_view>

#include "formats/accumulate.hpp"
#include "formats/format.hpp"
#include "formats/rounding.hpp"
#include "model/load_model.hpp"
#include "model/quant_scheme.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  auto guard = [](auto&& f) {
    try {
      f();
    } catch (const std::exception&) {  // a clean, named error is the expected outcome for bad text
    }
  };
  guard([&] { (void)mxlab::find_format(s); });
  guard([&] { (void)mxlab::parse_round(s); });
  guard([&] { (void)mxlab::AccFormat::parse(s); });
  guard([&] { (void)mxlab::model::parse_gemm_mode(s); });
  guard([&] { (void)mxlab::model::parse_load_mode(std::string(s)); });
  guard([&] {
    const int block = mxlab::model::parse_block(s);
    for (std::string_view f : {"mxfp4_e2m1", "nvfp4", "none"}) (void)mxlab::model::TensorQuant::parse(f, block).describe();
  });
  // "<format>/<block>" as a sweep or the CLI spells a pair: split at the first '/'.
  guard([&] {
    const auto slash = s.find('/');
    if (slash == std::string_view::npos) return;
    const auto q = mxlab::model::TensorQuant::parse(s.substr(0, slash), mxlab::model::parse_block(s.substr(slash + 1)));
    (void)q.describe();
    if (q.enabled()) (void)q.config(64);
  });
  return 0;
}
