#include "serve/server.h"

#include "common/uuid.h"
#include "ocr/languages.h"
#include "ocr/model_set.h"
#include "ocr/decode.h"
#include "ocr/pages.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "serve/http.h"
#include "serve/job_queue.h"
#include "serve/retention.h"
#include "serve/web_assets.h"
#include "vlm/prompts.h"

namespace edgeocr::serve {

using engine::ApiError;
using engine::OcrRequest;
using engine::OcrResponse;

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* kRequestIdHeader = "X-Request-Id";

void send_error(http::Response& res, int status, const std::string& code, const std::string& message) {
  res.status = status;
  // Messages quote client input (paths, parameters): replace bytes that are not UTF-8.
  res.set_content(json{{"error", {{"code", code}, {"message", message}}}}.dump(-1, ' ', false, json::error_handler_t::replace),
                  "application/json");
}

void send_json(http::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

std::string default_code(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "request_timeout";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 415: return "unsupported_media_type";
    case 421: return "misdirected_request";
    case 416: return "range_not_satisfiable";
    case 429: return "too_many_requests";
    case 431: return "headers_too_large";
    case 501: return "not_implemented";
    case 503: return "unavailable";
    case 504: return "timeout";
    default: return status >= 500 ? "internal_error" : "error";
  }
}

// Resident set size of this process from /proc/self/statm (0 where it cannot be read).
double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  double pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  return pages_resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// Route label for metrics and logs: the route pattern, never the raw path (bounded cardinality).
std::string route_label(const std::string& method, const std::string& path) {
  static const std::vector<std::string> fixed = {"/ocr",     "/v1/ocr", "/v1/records", "/v1/records.csv",
                                                 "/healthz", "/readyz", "/metrics",    "/openapi.json", "/"};
  std::string route;
  if (std::find(fixed.begin(), fixed.end(), path) != fixed.end()) {
    route = path;
  } else if (path.rfind("/static/", 0) == 0) {
    route = "/static/*";
  } else if (path.rfind("/v1/records/", 0) == 0) {
    route = path.size() > 6 && path.compare(path.size() - 6, 6, "/image") == 0 ? "/v1/records/{id}/image"
                                                                                 : "/v1/records/{id}";
  } else {
    route = "other";
  }
  return method + " " + route;
}

bool is_valid_record_id(const std::string& id) {
  return id.size() == 36 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
         });
}

std::string param(const http::Request& req, const std::string& name) {
  if (req.has_param(name.c_str())) return req.get_param_value(name.c_str());
  if (req.has_file(name.c_str())) return req.get_file_value(name.c_str()).content;
  return {};
}

bool parse_bool_param(const std::string& value, bool fallback, const std::string& name) {
  if (value.empty()) return fallback;
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no") return false;
  throw ApiError(400, "bad_parameter", name + " must be true or false, got '" + value + "'");
}

int parse_int_param(const std::string& value, int fallback, const std::string& name) {
  if (value.empty()) return fallback;
  try {
    size_t used = 0;
    const int v = std::stoi(value, &used);
    if (used == value.size()) return v;
  } catch (const std::exception&) {
  }
  throw ApiError(400, "bad_parameter", name + " must be an integer, got '" + value + "'");
}

// `fields` as a JSON array (["total","date"]) or a comma-separated list.
std::vector<std::string> parse_fields(const std::string& value) {
  std::vector<std::string> fields;
  if (value.empty()) return fields;
  if (value.front() == '[') {
    try {
      for (const auto& f : json::parse(value)) fields.push_back(f.get<std::string>());
      return fields;
    } catch (const json::exception&) {
      throw ApiError(400, "bad_parameter", "fields must be a JSON array of strings or a comma-separated list");
    }
  }
  std::stringstream in(value);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) fields.push_back(item);
  }
  return fields;
}

// SVG is an image/* type but a vector document EdgeOCR does not render: unsupported (415).
// The host part of a Host header ("[::1]:8000" -> "[::1]"), or "" when it holds anything but
// host-name characters (it is echoed into the page and compared with Origin).
std::string host_name(const std::string& host_header) {
  if (host_header.empty()) return {};
  std::string host = host_header.substr(0, host_header.front() == '[' ? host_header.find(']') + 1 : host_header.find(':'));
  const bool clean = std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  });
  return clean ? host : std::string();
}

// Images and the documents the decode layer reads (src/ocr/pages.h).
bool is_image_content_type(const std::string& type) {
  return (type.rfind("image/", 0) == 0 && type.rfind("image/svg", 0) != 0) || type == "application/pdf";
}
bool is_svg_content_type(const std::string& type) { return type.rfind("image/svg", 0) == 0; }

json record_summary(const store::Record& r) {
  json j{{"id", r.id},
         {"created_at", r.created_at},
         {"image_sha256", r.image_sha256},
         {"text", r.text},
         {"url", "/v1/records/" + r.id}};
  j["image_url"] = r.image_sha256.empty() ? json(nullptr) : json("/v1/records/" + r.id + "/image");
  j["fields"] = r.fields_json.empty() ? json(nullptr) : json::parse(r.fields_json, nullptr, false);
  return j;
}

store::ListQuery list_query(const http::Request& req) {
  store::ListQuery q;
  q.limit = parse_int_param(param(req, "limit"), 50, "limit");
  q.offset = parse_int_param(param(req, "offset"), 0, "offset");
  q.cursor = param(req, "cursor");
  q.from = param(req, "from");
  q.to = param(req, "to");
  q.text_query = param(req, "q");
  return q;
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

http::ServerLimits Server::limits() const {
  http::ServerLimits limits;
  limits.header_timeout = std::chrono::milliseconds(static_cast<int64_t>(options_.header_timeout_s * 1000));
  limits.body_timeout = std::chrono::seconds(options_.read_timeout_s);
  limits.write_timeout = std::chrono::seconds(options_.write_timeout_s);
  limits.keep_alive_timeout = std::chrono::milliseconds(static_cast<int64_t>(options_.keep_alive_timeout_s * 1000));
  limits.max_body_bytes = static_cast<uint64_t>(options_.max_body_bytes);
  limits.max_header_bytes = static_cast<size_t>(options_.max_header_bytes);
  limits.max_connections = options_.max_connections;
  // One handler thread per job that may wait or run, plus some for the archive, health and page.
  limits.handler_threads = options_.queue_length + options_.workers + 8;
  return limits;
}

Server::Server(ServerOptions options) : options_(std::move(options)) {
  if (!options_.engine_factory) throw std::invalid_argument("no OCR engine configured");
  if (options_.tls_cert.empty() != options_.tls_key.empty())
    throw std::invalid_argument("TLS needs both --tls-cert and --tls-key");
  if (tls()) {
    if (!std::filesystem::exists(options_.tls_cert)) throw std::invalid_argument("TLS certificate not found: " + options_.tls_cert);
    if (!std::filesystem::exists(options_.tls_key)) throw std::invalid_argument("TLS key not found: " + options_.tls_key);
  }
  http_ = std::make_unique<http::HttpServer>(limits(), options_.tls_cert, options_.tls_key);
  if (options_.web_port >= 0) web_ = std::make_unique<http::HttpServer>(limits(), options_.tls_cert, options_.tls_key);
  archive_ = std::make_unique<store::Archive>(options_.archive);
  retention_ = std::make_unique<RetentionWorker>(*archive_, options_.retention);
  queue_ = std::make_unique<JobQueue>(options_.engine_factory, options_.workers, options_.queue_length);
  metrics_.set_gauge_source([this] {
    std::vector<std::pair<std::string, std::pair<std::string, double>>> g;
    g.push_back({"edgeocr_queue_depth", {"OCR jobs waiting for a worker.", double(queue_->waiting())}});
    g.push_back({"edgeocr_jobs_running", {"OCR jobs running now.", double(queue_->running())}});
    g.push_back({"edgeocr_queue_capacity", {"Most jobs that may wait.", double(queue_->capacity())}});
    g.push_back({"edgeocr_records_stored", {"Records in the archive.", double(archive_->count())}});
    g.push_back({"edgeocr_http_connections", {"Open HTTP connections.", double(http_->active_connections())}});
    g.push_back({"edgeocr_process_resident_bytes", {"Resident memory (RSS) of the server process.", resident_bytes()}});
    if (options_.extra_gauges)
      for (auto& extra : options_.extra_gauges()) g.push_back(std::move(extra));
    return g;
  });
  install_routes();
}

Server::~Server() {
  stop();
  if (queue_) queue_->shutdown();
}

int Server::bind() {
  port_ = http_->bind(options_.host, options_.port);
  if (web_) web_port_ = web_->bind(options_.host, options_.web_port);
  return port_;
}

void Server::run() {
  std::thread web_thread;
  if (web_) web_thread = std::thread([this] { web_->run(); });
  http_->run();
  if (web_thread.joinable()) {
    web_->stop();
    web_thread.join();
  }
  // No new requests now, and the running ones have been answered.
  queue_->shutdown();
}

void Server::stop() {
  stopping_ = true;
  if (http_) http_->stop();
  if (web_) web_->stop();
  // Jobs still waiting for a worker get 503 now instead of delaying the shutdown; the
  // running ones finish and are answered.
  if (queue_) queue_->drop_waiting();
}

int Server::retry_after_s() const {
  // Rough time until a slot frees up: the queue ahead at the recent mean job time.
  const double wait_s = mean_run_ms_.load() / 1000.0 * options_.queue_length / std::max(1, options_.workers);
  return std::clamp(static_cast<int>(std::ceil(wait_s)), 1, 120);
}

// Requests from a web page the user happens to open must not reach a no-auth loopback server:
// a rebound DNS name arrives with a foreign Host, a cross-site request with a foreign Origin.
bool Server::trusted_origin(const http::Request& req) const {
  if (options_.auth || !is_loopback_host(options_.host)) return true;
  const auto loopback_authority = [](std::string_view authority) {
    if (authority.rfind("[::1]", 0) == 0) authority.remove_prefix(5);
    else if (authority.rfind("localhost", 0) == 0) authority.remove_prefix(9);
    else if (authority.rfind("127.", 0) == 0) {
      const size_t colon = authority.find(':');
      const std::string_view ip = authority.substr(0, colon);
      if (!std::all_of(ip.begin(), ip.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; })) return false;
      authority.remove_prefix(ip.size());
    } else return false;
    return authority.empty() || (authority.front() == ':' && authority.size() > 1 &&
                                 std::all_of(authority.begin() + 1, authority.end(), [](char c) { return c >= '0' && c <= '9'; }));
  };
  if (req.has_header("Host") && !loopback_authority(req.get_header_value("Host"))) return false;
  if (req.has_header("Origin")) {
    const std::string origin_header = req.get_header_value("Origin");
    std::string_view origin = origin_header;
    if (origin.rfind("http://", 0) == 0) origin.remove_prefix(7);
    else if (origin.rfind("https://", 0) == 0) origin.remove_prefix(8);
    else return false;  // "null" and other schemes
    if (!loopback_authority(origin)) return false;
  }
  return true;
}

void Server::install_common(http::HttpServer& http) {
  // Decided from the request head, before any body is read.
  http.set_admission([this](const http::Request& req, http::Response& res) {
    res.set_header(kRequestIdHeader, common::new_uuid_v4());
    if (!trusted_origin(req)) {
      send_error(res, 403, "forbidden_origin", "Host or Origin is not this loopback server");
      return true;
    }
    // The page served on --web-port calls this API from its own origin (same host, web port).
    const std::string origin = req.get_header_value("Origin");
    const std::string host = host_name(req.get_header_value("Host"));
    const std::string page_suffix = "://" + host + ":" + std::to_string(web_port_);
    const bool page_origin = web_port_ > 0 && !host.empty() &&
                             (origin == "http" + page_suffix || origin == "https" + page_suffix);
    if (page_origin) {
      res.set_header("Access-Control-Allow-Origin", origin);
      res.set_header("Vary", "Origin");
    }
    if (req.method == "OPTIONS") {  // CORS preflight: carries no credentials
      if (!page_origin) return false;  // no such route: 405
      res.status = 204;
      res.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE");
      res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
      res.set_header("Access-Control-Max-Age", "600");
      return true;
    }
    if (options_.auth && req.path != "/healthz") {
      const auto authorization = req.get_header_value("Authorization");
      int retry_after = 0;
      if (!authorization.empty() && login_backoff_.blocked(req.remote_addr, &retry_after)) {
        res.set_header("Retry-After", std::to_string(retry_after));
        send_error(res, 429, "too_many_failed_logins", "too many failed logins from this address; retry later");
        return true;
      }
      const auto principal = options_.auth->authenticate(authorization);
      if (!principal) {
        if (!authorization.empty()) login_backoff_.failed(req.remote_addr);
        res.set_header("WWW-Authenticate", "Basic realm=\"edgeocr\", charset=\"UTF-8\"");
        send_error(res, 401, "unauthorized", "authentication required: Authorization: Bearer <api key> or Basic");
        return true;
      }
      login_backoff_.succeeded(req.remote_addr);
      if (principal->read_only && req.method != "GET" && req.method != "HEAD") {
        send_error(res, 403, "forbidden", "'" + principal->name + "' is read-only");
        return true;
      }
    }
    // A full queue refuses OCR at once, without taking the upload.
    if (req.method == "POST" && (req.path == "/ocr" || req.path == "/v1/ocr") &&
        queue_->waiting() >= queue_->capacity()) {
      res.set_header("Retry-After", std::to_string(retry_after_s()));
      send_error(res, 503, "queue_full", "the server is busy (" + std::to_string(options_.queue_length) +
                                            " requests waiting); retry later");
      return true;
    }
    return false;
  });

  // Every error status without a body (404, 405, 413, 431, ...) gets the JSON error shape.
  http.set_error_handler([](const http::Request& req, http::Response& res) {
    std::string message = "request failed";
    if (res.status == 404) message = "no route " + req.method + " " + req.path;
    if (res.status == 405) message = "method " + req.method + " not allowed on " + req.path;
    if (res.status == 413) message = "request body too large";
    if (res.status == 431) message = "request headers too large or too many";
    send_error(res, res.status, default_code(res.status), message);
  });

  http.set_exception_handler([](const http::Request&, http::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const ApiError& e) {
      send_error(res, e.status(), e.code(), e.what());
    } catch (const std::exception& e) {
      spdlog::error("internal error: {}", e.what());
      send_error(res, 500, "internal_error", "internal error (see the server log)");
    } catch (...) {
      send_error(res, 500, "internal_error", "internal error");
    }
  });

  http.set_logger([this](const http::Request& req, const http::Response& res, double seconds) {
    const std::string route = route_label(req.method, req.path);
    metrics_.count_request(route, res.status, seconds);
    spdlog::info("request id={} route=\"{}\" status={} ms={:.1f} bytes_in={} bytes_out={}",
                 res.get_header_value(kRequestIdHeader), route, res.status, seconds * 1000, req.body.size(),
                 res.body.size());
  });
}

void Server::install_routes() {
  http::HttpServer& http = *http_;
  install_common(http);

  // Handlers throw ApiError for client mistakes; the exception handler turns it into JSON.
  const auto guard = [](auto fn) {
    return [fn](const http::Request& req, http::Response& res) {
      try {
        fn(req, res);
      } catch (const ApiError& e) {
        if (e.retry_after_s() > 0) res.set_header("Retry-After", std::to_string(e.retry_after_s()));
        send_error(res, e.status(), e.code(), e.what());
      } catch (const std::invalid_argument& e) {
        send_error(res, 400, "bad_parameter", e.what());
      }
    };
  };

  http.Post("/ocr", guard([this](const http::Request& req, http::Response& res) { handle_ocr(req, res, false); }));
  http.Post("/v1/ocr", guard([this](const http::Request& req, http::Response& res) { handle_ocr(req, res, true); }));

  http.Get("/healthz", [](const http::Request&, http::Response& res) { send_json(res, {{"status", "ok"}}); });
  http.Get("/readyz", [this](const http::Request&, http::Response& res) {
    if (stopping_) {
      res.set_header("Retry-After", "5");
      return send_error(res, 503, "shutting_down", "the server is shutting down");
    }
    send_json(res, {{"status", "ready"},
                    {"backend", options_.backend_name},
                    {"workers", options_.workers},
                    {"queue_depth", queue_->waiting()},
                    {"queue_capacity", queue_->capacity()}});
  });
  http.Get("/metrics", [this](const http::Request&, http::Response& res) {
    res.set_content(metrics_.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  http.Get("/openapi.json", [](const http::Request&, http::Response& res) { send_json(res, openapi_document()); });

  http.Get("/v1/records", guard([this](const http::Request& req, http::Response& res) {
    const auto query = list_query(req);
    const auto page = archive_->list(query);
    json records = json::array();
    for (const auto& r : page.records) records.push_back(record_summary(r));
    send_json(res, {{"records", records},
                    {"total", page.total},
                    {"limit", query.limit},
                    {"offset", query.cursor.empty() ? query.offset : 0},
                    {"next_cursor", page.next_cursor.empty() ? json(nullptr) : json(page.next_cursor)}});
  }));
  http.Get("/v1/records.csv", guard([this](const http::Request& req, http::Response& res) {
    std::ostringstream out;
    archive_->write_csv(out, list_query(req));
    res.set_header("Content-Disposition", "attachment; filename=\"edgeocr-records.csv\"");
    res.set_content(out.str(), "text/csv; charset=utf-8");
  }));

  const auto send_image = [this](const store::Record& r, http::Response& res) {
    const auto path = archive_->image_path(r);
    std::ifstream in(path, std::ios::binary);
    if (path.empty() || !in) throw ApiError(404, "not_found", "record " + r.id + " has no stored image");
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    res.set_content(std::move(bytes), std::string(ocr::mime_for_extension(r.image_ext)));
  };
  const auto find_record = [this](const std::string& id) {
    auto r = is_valid_record_id(id) ? archive_->get(id) : std::nullopt;
    if (!r) throw ApiError(404, "not_found", "no record " + id);
    return *r;
  };
  http.Get(R"(/v1/records/([^/]+)/image)", guard([=](const http::Request& req, http::Response& res) {
    send_image(find_record(req.matches[1]), res);
  }));
  http.Get(R"(/v1/records/([^/]+))", guard([=](const http::Request& req, http::Response& res) {
    const auto r = find_record(req.matches[1]);
    if (parse_bool_param(param(req, "image"), false, "image")) return send_image(r, res);
    json j = record_summary(r);
    j["result"] = json::parse(r.result_json, nullptr, false);
    send_json(res, j);
  }));
  http.Delete(R"(/v1/records/([^/]+))", guard([this](const http::Request& req, http::Response& res) {
    const std::string id = req.matches[1];
    if (!is_valid_record_id(id) || !archive_->remove(id)) throw ApiError(404, "not_found", "no record " + id);
    send_json(res, {{"deleted", id}});
  }));

  const auto serve_asset = [](const http::Request& req, http::Response& res) {
    const WebAsset* asset = find_web_asset(req.path);
    if (!asset) return send_error(res, 404, "not_found", "no file " + req.path);
    res.set_content(std::string(asset->body), std::string(asset->content_type).c_str());
  };
  http.Get("/", serve_asset);
  http.Get(R"(/static/.+)", serve_asset);
  if (web_) {
    install_common(*web_);
    web_->Get("/", [this](const http::Request& req, http::Response& res) {
      const WebAsset* page = find_web_asset("/");
      std::string html(page->body);
      // The API is on the main port of the host the browser used (only host characters kept).
      std::string host = host_name(req.get_header_value("Host"));
      if (host.empty()) host = options_.host;
      const std::string meta = "<meta name=\"edgeocr-api\" content=\"" + std::string(tls() ? "https" : "http") +
                               "://" + host + ":" + std::to_string(port_) + "\">";
      if (const size_t head = html.find("<head>"); head != std::string::npos) html.insert(head + 6, "\n  " + meta);
      res.set_content(std::move(html), std::string(page->content_type));
    });
    web_->Get(R"(/static/.+)", serve_asset);
  }
}

void Server::handle_ocr(const http::Request& req, http::Response& res, bool v1) {
  auto image = std::make_shared<std::string>();
  if (req.is_multipart_form_data()) {
    if (!req.has_file("file"))
      throw ApiError(400, "missing_file", "multipart/form-data must have the image in a field named 'file'");
    const auto& part = req.get_file_value("file");
    if (!part.content_type.empty() && !is_image_content_type(part.content_type) &&
        part.content_type != "application/octet-stream")
      throw ApiError(415, "unsupported_media_type",
                     "the 'file' part is " + part.content_type + "; send an image or document (" + std::string(ocr::kReadableFormats) + ")");
    *image = part.content;
  } else if (v1 && is_image_content_type(req.get_header_value("Content-Type"))) {
    *image = req.body;
  } else if (is_svg_content_type(req.get_header_value("Content-Type"))) {
    throw ApiError(415, "unsupported_media_type", "SVG is not supported; send " + std::string(ocr::kReadableFormats));
  } else {
    throw ApiError(415, "unsupported_media_type",
                   v1 ? "send multipart/form-data with a 'file' field, or the raw image with an image/* Content-Type"
                      : "send multipart/form-data with the image in a field named 'file'");
  }
  if (image->empty()) throw ApiError(400, "bad_image", "the image is empty");

  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(image->data()), image->size());
  // The header only, before any work is queued: not an image is 400, too many pixels 413 (a
  // document's pages are checked one by one when decoded).
  const auto type = ocr::file_type(ocr::document_format(bytes));
  if (!type) throw ApiError(400, "bad_image", "not an image EdgeOCR can read (" + std::string(ocr::kReadableFormats) + ")");
  // Divided, not multiplied: two 32-bit header sizes can overflow the product.
  if (const auto header = ocr::probe_header(bytes);
      header && header->height > 0 && header->width > options_.max_pixels / header->height)
    throw ApiError(413, "image_too_large",
                   "image is " + std::to_string(header->width) + "x" + std::to_string(header->height) + ", over the " +
                       std::to_string(options_.max_pixels) + "-pixel limit");

  OcrRequest request;
  request.image_data = image;
  request.lang = param(req, "lang");
  if (!request.lang.empty()) {
    try {
      ocr::parse_languages(request.lang);
    } catch (const ocr::LanguageError& e) {
      throw ApiError(400, "bad_parameter", std::string("lang: ") + e.what());
    }
  }
  bool store = true;
  if (v1) {
    request.task = param(req, "task");
    if (request.task.empty()) request.task = "spot";
    // The VLM backends also answer text, table, formula, extract, translate and vqa.
    const bool vlm_task = options_.backend_name != "native" && vlm::parse_task(request.task).has_value();
    if (request.task != "spot" && request.task != "parse" && !vlm_task)
      throw ApiError(400, "bad_parameter", "task must be spot or parse" +
                                               std::string(options_.backend_name != "native"
                                                               ? " (or text, table, formula, extract, translate, vqa)"
                                                               : "") +
                                               ", got '" + request.task + "'");
    request.instruction = param(req, "instruction");
    request.fields = parse_fields(param(req, "fields"));
    request.schema = param(req, "schema");
    request.models = param(req, "models");
    if (!request.models.empty()) {
      const auto& sets = ocr::model_set_names();
      if (std::find(sets.begin(), sets.end(), request.models) == sets.end())
        throw ApiError(400, "bad_parameter", "models must be one of " + ocr::model_set_names_joined(", ") + ", got '" +
                                                 request.models + "'");
    }
    store = parse_bool_param(param(req, "store"), true, "store");
  }

  // A request still being read when stop() began must not slip into the queue afterwards.
  if (stopping_) {
    res.set_header("Retry-After", "5");
    throw ApiError(503, "shutting_down", "the server is shutting down");
  }
  // The client stops waiting request_timeout_s after its request arrived.
  const auto deadline = req.received_at + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(options_.request_timeout_s));
  request.deadline = deadline;
  auto ticket = queue_->submit(std::move(request));
  if (!ticket) {
    res.set_header("Retry-After", std::to_string(retry_after_s()));
    throw ApiError(503, "queue_full", "the server is busy (" + std::to_string(options_.queue_length) +
                                          " requests waiting); retry later");
  }
  // Wait for the result, but give up on a job whose client has gone: a queued one is skipped
  // by the worker, and nothing is archived for nobody.
  while (ticket->outcome.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (req.client_gone()) {
      ticket->abandoned->store(true);
      throw ApiError(499, "client_closed", "the client closed the connection");
    }
    if (Clock::now() >= deadline) {
      ticket->abandoned->store(true);
      throw ApiError(504, "timeout", "OCR did not finish within " + std::to_string(options_.request_timeout_s) + " s");
    }
  }
  JobOutcome outcome = ticket->outcome.get();
  if (outcome.error) {
    try {
      std::rethrow_exception(outcome.error);
    } catch (const ApiError&) {
      throw;
    } catch (const std::exception& e) {
      spdlog::error("request {}: OCR failed: {}", res.get_header_value(kRequestIdHeader), e.what());
      throw ApiError(500, "ocr_failed", "OCR failed (see the server log)");
    }
  }
  mean_run_ms_ = 0.8 * mean_run_ms_.load() + 0.2 * outcome.run_ms;

  OcrResponse result = std::move(outcome.result);
  metrics_.observe_stage("queue_wait", outcome.queue_ms / 1000.0);
  if (result.timings) {
    const ocr::StageTimings& t = *result.timings;
    const std::pair<const char*, double> stages[] = {{"decode", t.decode}, {"det", t.det},   {"cls", t.cls},
                                                     {"rec", t.rec},       {"post", t.post}, {"total", t.total}};
    for (const auto& [stage, ms] : stages) metrics_.observe_stage(stage, ms / 1000.0);
    result.queue_wait_ms = outcome.queue_ms;
  }
  result.request_id = res.get_header_value(kRequestIdHeader);
  if (store && req.client_gone()) throw ApiError(499, "client_closed", "the client closed the connection");
  if (store) {
    store::NewRecord record;
    record.image = bytes;
    record.image_ext = std::string(type->extension);
    record.text = result.text;
    if (result.fields) record.fields_json = json(*result.fields).dump();
    record.result_json = to_json(result, engine::JsonForm::archived).dump(-1, ' ', false, json::error_handler_t::replace);
    result.record_id = archive_->insert(record).id;
  }
  send_json(res, to_json(result, engine::JsonForm::reply));
}

}  // namespace edgeocr::serve
