// OpenAI chat-completions client for vLLM / llama.cpp llama-server serving HunyuanOCR:
// one image (data URL) + one prompt per request, temperature 0, with a timeout, retries with
// exponential backoff + jitter for 429/5xx/connection errors (Retry-After honoured), a cap on
// in-flight requests and a circuit breaker.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

#include "vlm/metrics.h"
#include "vlm/resilience.h"

namespace edgeocr::vlm {

struct ClientOptions {
  std::string base_url = "http://127.0.0.1:8001/v1";  // ".../v1"; /chat/completions is appended
  std::string model = "tencent/HunyuanOCR";
  std::string api_key;                                 // sent as "Authorization: Bearer ..." when set
  std::chrono::milliseconds timeout{60'000};           // deadline per attempt (connect + send + whole answer)
  int max_inflight = 4;                                // requests to the server at once
  int max_attempts = 3;                                // 1 = no retries
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_cap{8'000};
  std::chrono::milliseconds max_retry_after{30'000};   // a longer Retry-After gives up instead
  int breaker_failure_threshold = 5;                   // consecutive failed requests that open it
  std::chrono::milliseconds breaker_cool_down{30'000};
  int max_tokens = 16384;
  // Sampling the model card recommends with temperature 0 (HunyuanOCR v1.0; v1.5 wants
  // repetition_penalty 1.08).
  int top_k = 1;
  double repetition_penalty = 1.0;
  bool verify_tls = true;
};

class VlmError : public std::runtime_error {
 public:
  enum class Kind {
    unavailable,   // connection refused/reset, timeout, 5xx/429 after retries, breaker open
    overloaded,    // no in-flight slot freed up within the timeout
    rejected,      // 4xx other than 429: our request is wrong (bad model name, too large, ...)
    bad_response,  // 200 without a usable choices[0].message.content
  };
  VlmError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};
std::string_view to_string(VlmError::Kind kind);

struct ChatResult {
  std::string content;
  std::string finish_reason;  // "stop", "length" (hit max_tokens: likely a repetition loop), ...
  bool has_usage = false;
  int64_t prompt_tokens = 0, completion_tokens = 0;
  int attempts = 0;
  double seconds = 0;
};

class OpenAiClient {
 public:
  explicit OpenAiClient(ClientOptions options, VlmMetrics* metrics = &global_metrics());

  // Throws VlmError. Thread-safe. Each attempt ends by its deadline (options.timeout) however the
  // server trickles its answer; with `deadline`, every attempt, wait and backoff also ends by it.
  ChatResult complete(const std::string& image_data_url, const std::string& prompt,
                      std::optional<Clock::time_point> deadline = std::nullopt);

  // The exact JSON body sent for a request (exposed for tests and --dry-run).
  std::string request_body(const std::string& image_data_url, const std::string& prompt) const;

  const ClientOptions& options() const { return options_; }
  BreakerState breaker_state() const { return breaker_.state(); }
  const CircuitBreaker& breaker() const { return breaker_; }
  const InflightLimiter& limiter() const { return limiter_; }

 private:
  std::chrono::milliseconds next_delay(int attempt);
  ChatResult attempts_in_slot(const std::string& body, Clock::time_point start, std::optional<Clock::time_point> deadline);
  void publish_gauges();

  ClientOptions options_;
  VlmMetrics* metrics_;
  std::string scheme_host_port_;
  std::string path_;  // e.g. "/v1/chat/completions"
  InflightLimiter limiter_;
  CircuitBreaker breaker_;
  std::mutex rng_mutex_;
  std::mt19937 rng_;
};

// Splits "https://host:8001/v1/" into {"https://host:8001", "/v1"}; http:// assumed without a
// scheme. Throws std::invalid_argument for an empty or unusable URL.
std::pair<std::string, std::string> split_base_url(std::string_view url);

}  // namespace edgeocr::vlm
