#include "stand_in_server.h"

#include <httplib.h>

#include <cmath>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "common/base64.h"

namespace edgeocr::vlm::testing {

StandInServer::StandInServer() : server_(std::make_unique<httplib::Server>()) {
  fallback_.content = "<ref>fallback</ref><quad>(0,0),(1000,1000)</quad>";
  server_->Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    int status = 200;
    std::string body;
    std::optional<std::string> retry_after;
    std::chrono::milliseconds trickle{0};
    handle(req.body, req.get_header_value("Authorization"), status, body, retry_after, trickle);
    res.status = status;
    if (retry_after) res.set_header("Retry-After", *retry_after);
    if (trickle.count() == 0) {
      res.set_content(body, "application/json");
      return;
    }
    // A server that never goes quiet for long but never finishes either (bounded by stop()).
    res.set_content_provider(body.size(), "application/json",
                             [this, body, trickle](size_t offset, size_t, httplib::DataSink& sink) {
                               if (!wait_or_stop(trickle)) return false;
                               return sink.write(body.data() + offset, 1);
                             });
  });
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("stand-in VLM server: cannot bind 127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op until the accept loop runs: wait for it (bounded) so the destructor can stop it.
  for (int i = 0; i < 500 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!server_->is_running()) throw std::runtime_error("stand-in VLM server did not start");
}

StandInServer::~StandInServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string StandInServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

void StandInServer::expect(Expectation e) {
  std::lock_guard lock(mutex_);
  expectation_ = std::move(e);
}

void StandInServer::script(std::vector<Reply> replies) {
  std::lock_guard lock(mutex_);
  script_.assign(replies.begin(), replies.end());
}

void StandInServer::set_fallback(Reply reply) {
  std::lock_guard lock(mutex_);
  fallback_ = std::move(reply);
}

int StandInServer::request_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(seen_.size());
}

int StandInServer::max_concurrent() const {
  std::lock_guard lock(mutex_);
  return max_active_;
}

std::vector<std::string> StandInServer::violations() const {
  std::lock_guard lock(mutex_);
  return violations_;
}

std::vector<SeenRequest> StandInServer::seen() const {
  std::lock_guard lock(mutex_);
  return seen_;
}

bool StandInServer::wait_or_stop(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !stop_cv_.wait_for(lock, delay, [this] { return stopping_; });
}

void StandInServer::handle(const std::string& body, const std::string& authorization, int& status, std::string& out,
                           std::optional<std::string>& retry_after, std::chrono::milliseconds& trickle) {
  Expectation expected;
  Reply reply;
  SeenRequest seen;
  seen.arrived = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    expected = expectation_;
    if (!script_.empty()) {
      reply = script_.front();
      script_.pop_front();
    } else {
      reply = fallback_;
    }
    max_active_ = std::max(max_active_, ++active_);
  }
  std::vector<std::string> problems;
  const auto request = nlohmann::json::parse(body, nullptr, false);
  if (request.is_discarded() || !request.is_object()) {
    problems.push_back("body is not a JSON object");
  } else {
    if (request.value("model", "") != expected.model) problems.push_back("model is '" + request.value("model", "") + "'");
    if (!request.contains("temperature") || request["temperature"] != 0) problems.push_back("temperature is not 0");
    if (request.value("top_k", 0) != expected.top_k) problems.push_back("top_k is not " + std::to_string(expected.top_k));
    if (!request.contains("repetition_penalty") || !request["repetition_penalty"].is_number() ||
        std::abs(request["repetition_penalty"].get<double>() - expected.repetition_penalty) > 1e-9) {
      problems.push_back("repetition_penalty is not " + std::to_string(expected.repetition_penalty));
    }
    if (!request.contains("max_tokens") || !request["max_tokens"].is_number_integer() || request["max_tokens"] <= 0) {
      problems.push_back("max_tokens missing or not positive");
    }
    const auto& messages = request.value("messages", nlohmann::json());
    if (!messages.is_array() || messages.size() != 1 || messages[0].value("role", "") != "user" ||
        !messages[0].contains("content") || !messages[0]["content"].is_array()) {
      problems.push_back("messages is not one user message with a content array");
    } else {
      int images = 0, texts = 0;
      for (const auto& part : messages[0]["content"]) {
        const std::string type = part.value("type", "");
        if (type == "text") {
          ++texts;
          seen.prompt = part.value("text", "");
        } else if (type == "image_url") {
          ++images;
          const std::string url = part.value("image_url", nlohmann::json::object()).value("url", "");
          const std::string prefix = "data:image/jpeg;base64,";
          if (url.rfind(prefix, 0) != 0) {
            problems.push_back("image_url is not a JPEG base64 data URL");
            continue;
          }
          const auto bytes = common::base64_decode_bytes(std::string_view(url).substr(prefix.size()));
          if (!bytes) {
            problems.push_back("image data URL is not valid base64");
            continue;
          }
          const cv::Mat image = cv::imdecode(*bytes, cv::IMREAD_COLOR);
          if (image.empty()) {
            problems.push_back("image data URL does not decode to an image");
            continue;
          }
          seen.image_width = image.cols;
          seen.image_height = image.rows;
          if ((expected.image_width >= 0 && image.cols != expected.image_width) ||
              (expected.image_height >= 0 && image.rows != expected.image_height)) {
            problems.push_back("image is " + std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                               ", expected " + std::to_string(expected.image_width) + "x" +
                               std::to_string(expected.image_height));
          }
        } else {
          problems.push_back("unexpected content part type '" + type + "'");
        }
      }
      if (images != 1 || texts != 1) problems.push_back("expected exactly one image_url part and one text part");
      if (expected.prompt && seen.prompt != *expected.prompt) {
        problems.push_back("prompt is '" + seen.prompt + "', expected '" + *expected.prompt + "'");
      }
    }
  }
  if (expected.bearer && authorization != "Bearer " + *expected.bearer) {
    problems.push_back("Authorization header is '" + authorization + "'");
  }

  if (reply.delay.count() > 0) wait_or_stop(reply.delay);
  {
    std::lock_guard lock(mutex_);
    --active_;
    seen_.push_back(seen);
    violations_.insert(violations_.end(), problems.begin(), problems.end());
  }
  if (!problems.empty()) {
    status = 400;
    out = nlohmann::json{{"error", {{"message", problems.front()}, {"type", "invalid_request_error"}}}}.dump();
    return;
  }
  status = reply.status;
  retry_after = reply.retry_after;
  trickle = reply.trickle;
  if (!reply.raw_body.empty()) {
    out = reply.raw_body;
    return;
  }
  if (status != 200) {
    out = nlohmann::json{{"error", {{"message", "stand-in error " + std::to_string(status)}}}}.dump();
    return;
  }
  nlohmann::json completion = {
      {"id", "chatcmpl-standin"},
      {"object", "chat.completion"},
      {"model", expected.model},
      {"choices",
       nlohmann::json::array({{{"index", 0},
                               {"message", {{"role", "assistant"}, {"content", reply.content}}},
                               {"finish_reason", reply.finish_reason}}})}};
  if (reply.usage) {
    completion["usage"] = {{"prompt_tokens", 1000 + static_cast<int>(seen.prompt.size())},
                           {"completion_tokens", static_cast<int>(reply.content.size())},
                           {"total_tokens", 1000 + static_cast<int>(seen.prompt.size() + reply.content.size())}};
  }
  out = completion.dump();
}

}  // namespace edgeocr::vlm::testing
