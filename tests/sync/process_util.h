// Test helpers for the sync suite: child processes, free loopback ports, temp dirs, TLS material.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace edgeocr::sync::testing {

struct ExitInfo {
  bool exited = false;       // false: still running at the deadline
  int exit_code = -1;        // when exited normally
  int signal = 0;            // when killed by a signal
  long max_rss_kb = 0;       // peak resident set size of the child (wait4 rusage)
};

// A child process with stdout+stderr appended to `log_file`. Killed (SIGKILL) on destruction
// if still running, so a failing test never leaks servers.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
          const std::map<std::string, std::string>& extra_env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  pid_t pid() const { return pid_; }
  bool running();
  void signal(int signal_number);
  ExitInfo wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  ExitInfo info_;
};

// Runs to completion (bounded by `timeout`), returns exit info; output goes to `log_file`.
ExitInfo run_process(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
                     std::chrono::milliseconds timeout, const std::map<std::string, std::string>& extra_env = {});
// Runs a shell command, returns its stdout; throws if it exits non-zero.
std::string shell(const std::string& command);
std::string read_text(const std::filesystem::path& path);
int free_loopback_port();

// mkdtemp-based folder removed on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "edgeocr-sync-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Self-signed CA + server certificate for 127.0.0.1 (+ a client certificate), via the openssl CLI.
struct TlsFiles {
  std::filesystem::path ca_cert, server_cert, server_key, client_cert, client_key, other_ca_cert;
};
TlsFiles make_tls_files(const std::filesystem::path& dir);

// Waits until an HTTPS GET of https://127.0.0.1:port/healthz succeeds (bounded).
bool wait_for_https(int port, const std::filesystem::path& ca_cert, std::chrono::milliseconds timeout);

}  // namespace edgeocr::sync::testing
