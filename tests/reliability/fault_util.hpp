// Helpers of the fault tests: start the mxlab CLI as a child (optionally with a file-size limit), wait for it,
// watch a directory for temporaries.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"  // tests/experiments: ScratchDir, read_text, write_text, small_spec, have_data

namespace mxlab::fault {

namespace fs = std::filesystem;
using experiments::test::have_data;
using experiments::test::read_text;
using experiments::test::ScratchDir;
using experiments::test::small_spec;
using experiments::test::write_text;

// Starts `mxlab args...` with stdout and stderr appended to `log`. fsize_limit > 0: RLIMIT_FSIZE in bytes with
// SIGXFSZ ignored, so a write past the limit fails with EFBIG as on a full disk.
inline pid_t spawn(const std::vector<std::string>& args, const fs::path& log, rlim_t fsize_limit = 0) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1), ::dup2(fd, 2);
    if (fsize_limit) {
      ::signal(SIGXFSZ, SIG_IGN);
      const rlimit r{fsize_limit, fsize_limit};
      ::setrlimit(RLIMIT_FSIZE, &r);
    }
    std::vector<char*> argv{const_cast<char*>(MXLAB_CLI)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(MXLAB_CLI, argv.data());
    ::_exit(127);
  }
  return pid;
}

// The exit code, or -signal when a signal ended the child.
inline int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

inline int run(const std::vector<std::string>& args, const fs::path& log, rlim_t fsize_limit = 0) {
  return wait_exit(spawn(args, log, fsize_limit));
}

// Files under `dir` (recursively) whose name holds ".tmp".
inline std::vector<fs::path> temporaries(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().find(".tmp") != std::string::npos) out.push_back(it->path());
  return out;
}

// Watches `dir` (inotify, set up before the child starts) for the creation of a temporary file ("*.tmp*"):
// polling the directory misses a temporary that lives only a millisecond.
class TemporaryWatch {
 public:
  explicit TemporaryWatch(const fs::path& dir) : fd_(::inotify_init1(IN_NONBLOCK)) {
    if (fd_ >= 0) ::inotify_add_watch(fd_, dir.c_str(), IN_CREATE);
  }
  ~TemporaryWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  // True as soon as a temporary was created; false when the child exited first or `limit` passed.
  bool wait(pid_t pid, std::chrono::milliseconds limit) {
    const auto t0 = std::chrono::steady_clock::now();
    alignas(inotify_event) char buf[4096];
    while (fd_ >= 0 && std::chrono::steady_clock::now() - t0 < limit) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5) > 0)
        for (ssize_t n = ::read(fd_, buf, sizeof buf), at = 0; n > 0 && at < n;) {
          const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
          if (e->len && std::string(e->name).find(".tmp") != std::string::npos) return true;
          at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
        }
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
        return false;  // exited (not reaped: wait_exit still reads its status)
    }
    return false;
  }

 private:
  int fd_;
};

inline std::string last_line(const std::string& text) {
  const std::size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  const std::size_t begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1,
                     end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

}  // namespace mxlab::fault
