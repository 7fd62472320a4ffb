// Shared helpers of the libFuzzer targets: a per-process scratch file holding the input (loaders read paths).
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace mxlab::fuzz {

// Where scratch files live: /dev/shm (a tmpfs: rewriting a file per input costs microseconds, not a disk write) when
// it exists, else $TMPDIR or /tmp.
inline std::filesystem::path scratch_root() {
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return std::filesystem::temp_directory_path();
}

// A path unique to this process, rewritten with the input on every call; removed (with anything under it) at exit.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& name)
      : path_(scratch_root() / ("mxlab-fuzz-" + std::to_string(::getpid()) + "-" + name)) {}
  ~ScratchFile() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::filesystem::path& write(const std::uint8_t* data, std::size_t size) const {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) __builtin_trap();  // the harness itself is broken, not the code under test
    for (std::size_t done = 0; done < size;) {
      const ssize_t n = ::write(fd, data + done, size - done);
      if (n <= 0) __builtin_trap();
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return path_;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace mxlab::fuzz
