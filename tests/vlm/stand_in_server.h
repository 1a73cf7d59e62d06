// An OpenAI-compatible stand-in for vLLM / llama-server serving HunyuanOCR, in-process on
// 127.0.0.1 (port 0). It CHECKS every request's shape (model, one user message with an image_url
// part holding a valid base64 JPEG data URL of the expected size, the expected prompt text,
// temperature 0, max_tokens, bearer key) and answers from a script of replies: recorded model
// outputs, malformed ones, slow ones, 5xx/429 sequences.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace edgeocr::vlm::testing {

struct Reply {
  int status = 200;
  std::string content;                      // assistant message (status 200)
  std::string raw_body;                     // sent verbatim instead of a chat completion when set
  std::chrono::milliseconds delay{0};       // before answering (slow server)
  std::optional<std::string> retry_after;   // Retry-After header
  bool usage = true;                        // include a usage object
  std::string finish_reason = "stop";
  std::chrono::milliseconds trickle{0};     // > 0: send the body one byte per interval
};

struct Expectation {
  std::string model = "tencent/HunyuanOCR";
  std::optional<std::string> prompt;        // exact text part
  int image_width = -1, image_height = -1;  // decoded image size (-1 = any)
  std::optional<std::string> bearer;        // expected API key
  int top_k = 1;                            // expected sampling (HunyuanOCR's card)
  double repetition_penalty = 1.0;
};

// Builders (designated initializers would leave members uninitialized-looking to -Wextra).
inline Reply reply_content(std::string content) {
  Reply r;
  r.content = std::move(content);
  return r;
}
inline Reply reply_status(int status, std::optional<std::string> retry_after = std::nullopt) {
  Reply r;
  r.status = status;
  r.retry_after = std::move(retry_after);
  return r;
}
inline Expectation expect_request(std::optional<std::string> prompt, int image_width = -1, int image_height = -1) {
  Expectation e;
  e.prompt = std::move(prompt);
  e.image_width = image_width;
  e.image_height = image_height;
  return e;
}

struct SeenRequest {
  std::string prompt;
  int image_width = 0, image_height = 0;
  std::chrono::steady_clock::time_point arrived;
};

class StandInServer {
 public:
  StandInServer();
  ~StandInServer();
  StandInServer(const StandInServer&) = delete;
  StandInServer& operator=(const StandInServer&) = delete;

  std::string base_url() const;  // "http://127.0.0.1:<port>/v1"
  int port() const { return port_; }

  void expect(Expectation expectation);
  void script(std::vector<Reply> replies);  // answered in order, then `fallback`
  void set_fallback(Reply reply);

  int request_count() const;
  int max_concurrent() const;
  std::vector<std::string> violations() const;  // request-shape problems found
  std::vector<SeenRequest> seen() const;

 private:
  void handle(const std::string& body, const std::string& authorization, int& status, std::string& out,
              std::optional<std::string>& retry_after, std::chrono::milliseconds& trickle);
  bool wait_or_stop(std::chrono::milliseconds delay);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  Expectation expectation_;
  std::deque<Reply> script_;
  Reply fallback_;
  std::vector<std::string> violations_;
  std::vector<SeenRequest> seen_;
  int active_ = 0, max_active_ = 0;
};

}  // namespace edgeocr::vlm::testing
