// Provenance of a sweep's results: content hashes (SHA-256, OpenSSL), the source commit, host and UTC times.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace mxlab::experiments {

std::string sha256_hex(std::string_view bytes);
// Throws std::runtime_error "<path>: cannot read" when the file cannot be read.
std::string sha256_file(const std::filesystem::path& file);
// `git describe --always --dirty --abbrev=40` of the source tree this binary was built from; "unknown" when
// that is not a git checkout (or git is missing).
std::string git_commit();
std::string host_name();
// Now, UTC, ISO 8601 with milliseconds ("2026-11-29T20:15:03.123Z").
std::string utc_now();

}  // namespace mxlab::experiments
