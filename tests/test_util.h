// Helpers shared by the end-to-end tests.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace gtops::testing {

// A fresh folder under the system temporary folder, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gtops-test-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Runs a shell command and returns its standard output; `status` receives pclose's wait status
// (WEXITSTATUS gives the exit code).
inline std::string RunCommand(const std::string& cmd, int& status) {
  std::string out;
  status = -1;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  status = ::pclose(p);
  return out;
}

#ifdef GTOPS_BINARY
// Runs the gtops binary with `args` (a shell fragment) and returns what it printed, stdout and
// stderr together; `status` receives pclose's wait status (WEXITSTATUS gives the exit code).
inline std::string RunGtops(const std::string& args, int& status) {
  return RunCommand(std::string(GTOPS_BINARY) + " " + args + " 2>&1", status);
}
#endif

// The exit code in a wait status from RunCommand / RunGtops (-1 when the process did not exit).
inline int ExitCode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

#ifdef GTOPS_BINARY
// Runs the gtops binary with `args` and returns its standard output only (stderr is discarded, so
// that JSON parses); `status` as for RunCommand.
inline std::string Stdout(const std::string& args, int& status) {
  return RunCommand(std::string(GTOPS_BINARY) + " " + args + " 2>/dev/null", status);
}
#endif

inline std::string WorldSmall() { return std::string(GTOPS_SHARED_DIR) + "/fixtures/world-small"; }

}  // namespace gtops::testing
