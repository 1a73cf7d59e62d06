#include "process_util.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <httplib.h>

extern char** environ;

namespace edgeocr::sync::testing {

Process::Process(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
                 const std::map<std::string, std::string>& extra_env) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const auto& [key, value] : extra_env) env_strings.push_back(key + "=" + value);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open log " + log_file.string());
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(fd);
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

bool Process::running() {
  if (reaped_) return false;
  return !wait(std::chrono::milliseconds(0)).exited;
}

void Process::signal(int signal_number) {
  if (!reaped_) ::kill(pid_, signal_number);
}

ExitInfo Process::wait(std::chrono::milliseconds timeout) {
  if (reaped_) return info_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    rusage usage{};
    pid_t r = ::wait4(pid_, &status, WNOHANG, &usage);
    if (r == pid_) {
      reaped_ = true;
      info_.exited = true;
      if (WIFEXITED(status)) info_.exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) info_.signal = WTERMSIG(status);
      info_.max_rss_kb = usage.ru_maxrss;
      return info_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return ExitInfo{};
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

ExitInfo run_process(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
                     std::chrono::milliseconds timeout, const std::map<std::string, std::string>& extra_env) {
  Process process(argv, log_file, extra_env);
  ExitInfo info = process.wait(timeout);
  return info;  // the destructor kills it if it overran
}

std::string shell(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  std::string out;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0) out.append(buffer, n);
  int status = ::pclose(pipe.release());
  if (status != 0) throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command + "\n" + out);
  return out;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TlsFiles make_tls_files(const std::filesystem::path& dir) {
  TlsFiles f;
  f.ca_cert = dir / "ca.pem";
  f.server_cert = dir / "server.pem";
  f.server_key = dir / "server.key";
  f.client_cert = dir / "client.pem";
  f.client_key = dir / "client.key";
  f.other_ca_cert = dir / "other-ca.pem";
  std::string d = dir.string();
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  shell("cd '" + d + "' && "
        "openssl req -x509 " + ec + " -keyout ca.key -out ca.pem -days 2 -subj /CN=edgeocr-test-ca 2>&1 && "
        "openssl req " + ec + " -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>&1 && "
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
        "-extfile san.ext 2>&1 && "
        "openssl req " + ec + " -keyout client.key -out client.csr -subj /CN=store-client 2>&1 && "
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 2>&1 && "
        "openssl req -x509 " + ec + " -keyout other-ca.key -out other-ca.pem -days 2 -subj /CN=other-ca 2>&1");
  return f;
}

bool wait_for_https(int port, const std::filesystem::path& ca_cert, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    httplib::SSLClient client("127.0.0.1", port);
    client.set_ca_cert_path(ca_cert.c_str());
    client.enable_server_certificate_verification(true);
    client.set_connection_timeout(1, 0);
    auto res = client.Get("/healthz");
    if (res && res->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace edgeocr::sync::testing
