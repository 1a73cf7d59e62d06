// The service's HTTP transport: the request/response types route handlers see, and a server
// (Boost.Beast over Asio) that owns every connection-level policy: deadlines for the whole
// header and the whole body, header size/count limits, a connection cap, keep-alive idle
// timeout, TCP_NODELAY, admission before the body is read, and detection of clients that left.
// Handlers run on a separate pool so a slow handler never stalls socket I/O.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgeocr::serve::http {

struct FormPart {
  std::string name, filename, content_type, content;
};

struct Request {
  std::string method;
  std::string target;  // as sent
  std::string path;    // percent-decoded; may hold any bytes
  std::multimap<std::string, std::string> params;  // query string + urlencoded form body, decoded
  std::multimap<std::string, FormPart> files;      // multipart/form-data parts by field name
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::smatch matches;  // the route pattern's groups, matched against `path`
  std::string remote_addr;
  std::chrono::steady_clock::time_point received_at = std::chrono::steady_clock::now();  // head arrived
  // True once the client closed its side of the connection (checked without reading).
  std::function<bool()> client_gone = [] { return false; };

  bool has_header(std::string_view name) const;
  std::string get_header_value(std::string_view name) const;  // case-insensitive; "" when absent
  bool has_param(const std::string& name) const { return params.count(name) > 0; }
  std::string get_param_value(const std::string& name) const;
  bool has_file(const std::string& name) const { return files.count(name) > 0; }
  const FormPart& get_file_value(const std::string& name) const;
  bool is_multipart_form_data() const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;

  void set_header(const std::string& name, const std::string& value);
  std::string get_header_value(std::string_view name) const;
  void set_content(std::string content, std::string type) {
    body = std::move(content);
    content_type = std::move(type);
  }
};

using Handler = std::function<void(const Request&, Response&)>;

// Percent-decoding of a path (no '+' rule) or of a query/form component ('+' is a space).
std::string percent_decode(std::string_view text, bool plus_is_space);
// "a=1&b=%20x" into `out` (appends).
void parse_query(std::string_view query, std::multimap<std::string, std::string>& out);
// The boundary parameter of a multipart/form-data Content-Type; nullopt when not multipart.
std::optional<std::string> multipart_boundary(std::string_view content_type);
// Splits a multipart/form-data body; nullopt when it is malformed.
std::optional<std::vector<FormPart>> parse_multipart(std::string_view body, std::string_view boundary);

struct ServerLimits {
  std::chrono::milliseconds header_timeout{10'000};   // whole request line + headers
  std::chrono::milliseconds body_timeout{15'000};     // whole body
  std::chrono::milliseconds write_timeout{15'000};    // whole response
  std::chrono::milliseconds keep_alive_timeout{5'000};  // idle between requests
  size_t max_header_bytes = 16 * 1024;  // request line + headers; over it: 431
  size_t max_header_count = 100;        // over it: 431
  uint64_t max_body_bytes = 20u << 20;  // over it: 413 (before reading when Content-Length says so)
  int max_connections = 256;            // over it: an immediate 503 and close
  int backlog = 1024;
  int handler_threads = 16;
  int io_threads = 2;
};

class HttpServer {
 public:
  // Empty cert/key: plain HTTP. Throws std::invalid_argument when TLS files cannot be used.
  HttpServer(ServerLimits limits, const std::string& tls_cert, const std::string& tls_key);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes: `pattern` is a regex matched against the whole decoded path. HEAD uses the GET route.
  void Get(const std::string& pattern, Handler handler) { add_route("GET", pattern, std::move(handler)); }
  void Post(const std::string& pattern, Handler handler) { add_route("POST", pattern, std::move(handler)); }
  void Delete(const std::string& pattern, Handler handler) { add_route("DELETE", pattern, std::move(handler)); }
  void add_route(const std::string& method, const std::string& pattern, Handler handler);

  // Called with the request head (no body yet, no params from the body) before anything else;
  // returning true means `res` is the answer and the body is never read (connection closes).
  void set_admission(std::function<bool(const Request&, Response&)> fn) { admission_ = std::move(fn); }
  // Turns an error status without a body (404, 405, 413, 431, ...) into the service's shape.
  void set_error_handler(std::function<void(const Request&, Response&)> fn) { error_handler_ = std::move(fn); }
  // Exceptions escaping a handler.
  void set_exception_handler(std::function<void(const Request&, Response&, std::exception_ptr)> fn) {
    exception_handler_ = std::move(fn);
  }
  // After each answered request (also the refused ones), with the time since its head arrived.
  void set_logger(std::function<void(const Request&, const Response&, double seconds)> fn) { logger_ = std::move(fn); }

  int bind(const std::string& host, int port);  // returns the port; throws when it cannot listen
  void run();   // serves until stop(); then lets running handlers finish
  void stop();  // thread-safe
  int active_connections() const;

  struct Route {
    std::string method;
    std::regex pattern;
    Handler handler;
  };

 private:
  void run_handler(const Route& route, Request& req, Response& res) const;
  void apply_error_handler(const Request& req, Response& res) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<Route> routes_;
  std::function<bool(const Request&, Response&)> admission_;
  std::function<void(const Request&, Response&)> error_handler_;
  std::function<void(const Request&, Response&, std::exception_ptr)> exception_handler_;
  std::function<void(const Request&, const Response&, double)> logger_;
};

}  // namespace edgeocr::serve::http
