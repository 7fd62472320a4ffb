// Tests that run the CLI through a shell, in a build under AddressSanitizer: options appended to ASan's for the child.
#pragma once

#include <string>

namespace mxlab::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderAsan = true;
#else
inline constexpr bool kUnderAsan = false;
#endif

// A shell prefix ("ASAN_OPTIONS=... ") that runs the command after it with `options` appended to the caller's
// ASAN_OPTIONS; empty in a build without ASan.
inline std::string asan_options_prefix(const std::string& options) {
  return kUnderAsan ? "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}" + options + "\" " : "";
}

}  // namespace mxlab::test
