#include "vlm/client.h"

#include <condition_variable>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace edgeocr::vlm {
namespace {

int breaker_gauge(BreakerState s) { return s == BreakerState::closed ? 0 : s == BreakerState::open ? 1 : 2; }

std::string snippet(const std::string& body) {
  std::string s = body.substr(0, 200);
  for (char& c : s) if (c == '\n' || c == '\r') c = ' ';
  return s;
}

// choices[0].message.content is a string, or (some servers) an array of {type:text,text} parts.
std::optional<std::string> message_content(const nlohmann::json& message) {
  if (!message.is_object() || !message.contains("content")) return std::nullopt;
  const auto& content = message["content"];
  if (content.is_string()) return content.get<std::string>();
  if (content.is_array()) {
    std::string text;
    for (const auto& part : content) {
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string()) {
        text += part["text"].get<std::string>();
      }
    }
    return text;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(VlmError::Kind kind) {
  switch (kind) {
    case VlmError::Kind::unavailable: return "unavailable";
    case VlmError::Kind::overloaded: return "overloaded";
    case VlmError::Kind::rejected: return "rejected";
    case VlmError::Kind::bad_response: return "bad_response";
  }
  return "unknown";
}

std::pair<std::string, std::string> split_base_url(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.empty()) throw std::invalid_argument("VLM URL is empty (use e.g. --vlm-url http://127.0.0.1:8001/v1)");
  std::string full(url);
  if (full.find("://") == std::string::npos) full = "http://" + full;
  const size_t scheme_end = full.find("://");
  const std::string scheme = full.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    throw std::invalid_argument("VLM URL must start with http:// or https://: " + std::string(url));
  }
  const size_t path_start = full.find('/', scheme_end + 3);
  std::string host = full.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "" : full.substr(path_start);
  if (host.size() <= scheme_end + 3) throw std::invalid_argument("VLM URL has no host: " + std::string(url));
  return {host, path};
}

OpenAiClient::OpenAiClient(ClientOptions options, VlmMetrics* metrics)
    : options_(std::move(options)),
      metrics_(metrics ? metrics : &global_metrics()),
      limiter_(options_.max_inflight),
      breaker_(options_.breaker_failure_threshold, options_.breaker_cool_down),
      rng_(std::random_device{}()) {
  auto [host, path] = split_base_url(options_.base_url);
  scheme_host_port_ = std::move(host);
  path_ = path + "/chat/completions";
  if (options_.max_attempts < 1) options_.max_attempts = 1;
}

std::string OpenAiClient::request_body(const std::string& image_data_url, const std::string& prompt) const {
  const nlohmann::json body = {
      {"model", options_.model},
      {"messages",
       nlohmann::json::array(
           {{{"role", "user"},
             {"content", nlohmann::json::array({{{"type", "image_url"}, {"image_url", {{"url", image_data_url}}}},
                                                {{"type", "text"}, {"text", prompt}}})}}})},
      {"temperature", 0},
      {"top_k", options_.top_k},
      {"repetition_penalty", options_.repetition_penalty},
      {"max_tokens", options_.max_tokens},
      {"stream", false},
  };
  return body.dump();
}

std::chrono::milliseconds OpenAiClient::next_delay(int attempt) {
  std::lock_guard lock(rng_mutex_);
  return backoff_delay(attempt, options_.backoff_base, options_.backoff_cap, rng_);
}

void OpenAiClient::publish_gauges() {
  metrics_->set_in_flight(limiter_.in_flight());
  metrics_->set_breaker_state(breaker_gauge(breaker_.state()));
}

namespace {

// Ends an HTTP exchange at a fixed time: the client's own timeouts restart with every byte read,
// so a server trickling its answer would otherwise hold an attempt open indefinitely.
class AttemptDeadline {
 public:
  AttemptDeadline(httplib::Client& http, Clock::time_point at) : watcher_([this, &http, at] {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_until(lock, at, [this] { return done_; })) {
      expired_ = true;
      http.stop();
    }
  }) {}
  ~AttemptDeadline() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    watcher_.join();
  }
  AttemptDeadline(const AttemptDeadline&) = delete;
  AttemptDeadline& operator=(const AttemptDeadline&) = delete;
  bool expired() {
    std::lock_guard lock(mutex_);
    return expired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false, expired_ = false;
  std::thread watcher_;  // last: starts after the members it uses
};

std::pair<time_t, time_t> seconds_and_micros(std::chrono::milliseconds d) {
  const auto ms = std::max<long long>(1, d.count());
  return {static_cast<time_t>(ms / 1000), static_cast<time_t>((ms % 1000) * 1000)};
}

}  // namespace

ChatResult OpenAiClient::complete(const std::string& image_data_url, const std::string& prompt,
                                  std::optional<Clock::time_point> deadline) {
  const auto start = Clock::now();
  // The breaker judges requests, not attempts: one request's retries are one failure.
  if (!breaker_.allow()) {  // fail fast, without waiting for a slot
    metrics_->record_error("breaker_open");
    publish_gauges();
    throw VlmError(VlmError::Kind::unavailable, "VLM circuit breaker is open (the server failed repeatedly)");
  }
  auto slot_wait = options_.timeout;
  if (deadline) slot_wait = std::min(slot_wait, std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - start));
  std::optional<ChatResult> result;
  std::exception_ptr error;
  {
    InflightLimiter::Slot slot = limiter_.acquire_for(std::max(std::chrono::milliseconds(0), slot_wait));
    if (!slot) {
      breaker_.abandon();  // not the server's fault
      metrics_->record_error("overloaded");
      throw VlmError(VlmError::Kind::overloaded,
                     "VLM busy: no in-flight slot freed up within the timeout (--vlm-max-inflight " +
                         std::to_string(limiter_.capacity()) + ")");
    }
    publish_gauges();
    try {
      result = attempts_in_slot(request_body(image_data_url, prompt), start, deadline);
    } catch (...) {
      error = std::current_exception();
    }
  }
  publish_gauges();  // after the slot is released, so the in-flight gauge returns to 0
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

ChatResult OpenAiClient::attempts_in_slot(const std::string& body, Clock::time_point start,
                                          std::optional<Clock::time_point> deadline) {
  using std::chrono::milliseconds;
  std::string last_error = "no attempt made";
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    const auto now = Clock::now();
    auto attempt_end = now + options_.timeout;
    if (deadline) {
      if (*deadline <= now) {
        last_error += "; no time left in the request's budget";
        break;
      }
      attempt_end = std::min(attempt_end, *deadline);
    }
    const auto budget = std::chrono::duration_cast<milliseconds>(attempt_end - now);
    const auto [timeout_s, timeout_us] = seconds_and_micros(budget);
    httplib::Client http(scheme_host_port_);
    http.set_connection_timeout(timeout_s, timeout_us);
    http.set_read_timeout(timeout_s, timeout_us);
    http.set_write_timeout(timeout_s, timeout_us);
    http.set_keep_alive(false);
    http.enable_server_certificate_verification(options_.verify_tls);
    if (!options_.api_key.empty()) http.set_bearer_token_auth(options_.api_key);
    httplib::Result res{nullptr, httplib::Error::Unknown};
    bool expired = false;
    {
      AttemptDeadline watch(http, attempt_end);
      res = http.Post(path_, body, "application/json");
      expired = watch.expired();
    }
    std::optional<milliseconds> retry_after;
    if (expired || !res) {
      const auto err = res ? httplib::Error::Success : res.error();
      const bool timed_out = expired || err == httplib::Error::Read || err == httplib::Error::Write ||
                             err == httplib::Error::ConnectionTimeout;
      metrics_->record_error(timed_out ? "timeout" : "connection");
      last_error = timed_out ? "timed out after " + std::to_string(budget.count()) + " ms (" +
                                   (expired ? std::string("attempt deadline") : httplib::to_string(err)) + ") to " +
                                   scheme_host_port_
                             : "connection failed (" + httplib::to_string(err) + ") to " + scheme_host_port_;
      // A timed-out generation is probably still running on the server: retrying only adds load.
      if (timed_out && err != httplib::Error::ConnectionTimeout) break;
    } else if (res->status == 200) {
      const auto json = nlohmann::json::parse(res->body, nullptr, false);
      std::optional<std::string> content;
      if (!json.is_discarded() && json.contains("choices") && json["choices"].is_array() && !json["choices"].empty()) {
        content = message_content(json["choices"][0].value("message", nlohmann::json()));
      }
      breaker_.record_success();  // the server is alive and answering
      if (!content) {
        metrics_->record_error("bad_response");
        throw VlmError(VlmError::Kind::bad_response,
                       "VLM answer has no choices[0].message.content: " + snippet(res->body));
      }
      ChatResult result;
      result.content = std::move(*content);
      result.finish_reason = json["choices"][0].value("finish_reason", "");
      if (json.contains("usage") && json["usage"].is_object()) {
        const auto& usage = json["usage"];
        result.has_usage = true;
        result.prompt_tokens = usage.value("prompt_tokens", int64_t{0});
        result.completion_tokens = usage.value("completion_tokens", int64_t{0});
        metrics_->add_tokens(result.prompt_tokens, result.completion_tokens);
      }
      result.attempts = attempt + 1;
      result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      return result;
    } else if (res->status == 429 || res->status >= 500) {
      metrics_->record_error(res->status == 429 ? "http_429" : "http_5xx");
      last_error = "HTTP " + std::to_string(res->status) + " from the VLM server: " + snippet(res->body);
      if (res->has_header("Retry-After")) retry_after = parse_retry_after(res->get_header_value("Retry-After"));
      if (retry_after && *retry_after > options_.max_retry_after) break;  // the server asks for longer than we wait
    } else {
      metrics_->record_error("http_4xx");
      breaker_.record_success();  // alive; the request itself is wrong, retrying will not help
      throw VlmError(VlmError::Kind::rejected,
                     "the VLM server rejected the request: HTTP " + std::to_string(res->status) + ": " +
                         snippet(res->body));
    }
    if (attempt + 1 < options_.max_attempts) {
      const milliseconds wait = retry_after ? *retry_after : next_delay(attempt);
      if (deadline && Clock::now() + wait >= *deadline) break;  // no time for another attempt
      metrics_->record_retry();
      std::this_thread::sleep_for(wait);
    }
  }
  breaker_.record_failure();
  throw VlmError(VlmError::Kind::unavailable, "VLM request failed: " + last_error);
}

}  // namespace edgeocr::vlm
