#include "sync/sync_client.h"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <span>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "common/base64.h"
#include "ocr/codecs.h"
#include "ocr/decode.h"
#include "sync/archive_link.h"
#include "sync/sender_lock.h"

namespace edgeocr::sync {
namespace {

constexpr int kThumbnailMaxSide = 320;

struct ParsedUrl {
  std::string host;
  int port = 443;
  std::string prefix;
};

ParsedUrl parse_https_url(const std::string& url) {
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("sync.url must start with https:// (got '" + url + "')");
  std::string rest = url.substr(scheme.size());
  ParsedUrl parsed;
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) parsed.prefix = rest.substr(slash);
  while (!parsed.prefix.empty() && parsed.prefix.back() == '/') parsed.prefix.pop_back();
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    parsed.host = authority.substr(0, colon);
    try {
      parsed.port = std::stoi(authority.substr(colon + 1));
    } catch (const std::exception&) {
      throw std::invalid_argument("sync.url has a bad port: " + url);
    }
  } else {
    parsed.host = authority;
  }
  if (parsed.host.empty() || parsed.port <= 0 || parsed.port > 65535) throw std::invalid_argument("bad sync.url: " + url);
  return parsed;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string content_type_for(const std::string& bytes) {
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF && static_cast<unsigned char>(bytes[1]) == 0xD8)
    return "image/jpeg";
  if (bytes.size() >= 8 && bytes.compare(1, 3, "PNG") == 0) return "image/png";
  if (bytes.size() >= 12 && bytes.compare(8, 4, "WEBP") == 0) return "image/webp";
  return "application/octet-stream";
}

}  // namespace

std::string format_utc(int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

ImageMode parse_image_mode(const std::string& text) {
  if (text == "none") return ImageMode::none;
  if (text == "thumbnail") return ImageMode::thumbnail;
  if (text == "full") return ImageMode::full;
  throw std::invalid_argument("sync.images must be none, thumbnail or full (got '" + text + "')");
}

const char* image_mode_name(ImageMode mode) {
  switch (mode) {
    case ImageMode::none: return "none";
    case ImageMode::thumbnail: return "thumbnail";
    case ImageMode::full: return "full";
  }
  return "none";
}

SyncConfig SyncConfig::from_settings(const settings::Settings& settings) {
  SyncConfig config;
  config.url = settings.get("sync.url");
  config.ca = settings.get("sync.ca");
  config.client_cert = settings.get("sync.client_cert");
  config.client_key = settings.get("sync.client_key");
  config.key_file = settings.get("sync.key_file");
  config.key_id = settings.get("sync.key_id");
  config.store_id = settings.get("sync.store_id");
  config.images = parse_image_mode(settings.get("sync.images"));
  config.interval_s = settings.get_double("sync.interval");
  config.batch_size = static_cast<int>(settings.get_int("sync.batch_size"));
  config.timeout_s = settings.get_double("sync.timeout");
  config.batch_bytes = settings.get_int("sync.batch_bytes");
  config.max_backoff_s = settings.get_double("sync.max_backoff");
  return config;
}

void SyncConfig::validate() const {
  if (url.empty()) throw std::invalid_argument("sync.url is not set");
  parse_https_url(url);
  if (!valid_store_id(store_id)) {
    throw std::invalid_argument("sync.store_id must be 1-64 characters of [A-Za-z0-9._-] (got '" + store_id + "')");
  }
  if (key_file.empty()) throw std::invalid_argument("sync.key_file is not set");
  if (ca.empty()) throw std::invalid_argument("sync.ca is not set (the CA that signs the collector's certificate)");
  if (!std::filesystem::exists(ca)) throw std::invalid_argument("sync.ca file not found: " + ca);
  if (client_cert.empty() != client_key.empty()) {
    throw std::invalid_argument("sync.client_cert and sync.client_key must be set together");
  }
}

struct SyncClient::Connection {
  ParsedUrl url;
  std::unique_ptr<httplib::SSLClient> client;
};

SyncClient::SyncClient(SyncConfig config, std::filesystem::path data_dir)
    : config_(std::move(config)), data_dir_(std::move(data_dir)) {
  config_.validate();
  key_ = load_key_file(config_.key_file);
  if (!config_.key_id.empty()) key_.key_id = config_.key_id;
  connection_ = std::make_unique<Connection>();
  connection_->url = parse_https_url(config_.url);
  if (config_.client_cert.empty()) {
    connection_->client = std::make_unique<httplib::SSLClient>(connection_->url.host, connection_->url.port);
  } else {
    connection_->client = std::make_unique<httplib::SSLClient>(connection_->url.host, connection_->url.port,
                                                               config_.client_cert, config_.client_key);
  }
  auto& client = *connection_->client;
  if (!client.is_valid()) throw std::invalid_argument("cannot set up TLS client (bad client certificate or key?)");
  client.set_ca_cert_path(config_.ca.c_str());
  client.enable_server_certificate_verification(true);
  auto whole = static_cast<time_t>(config_.timeout_s);
  auto micros = static_cast<time_t>((config_.timeout_s - static_cast<double>(whole)) * 1e6);
  client.set_connection_timeout(whole, micros);
  client.set_read_timeout(whole, micros);
  client.set_write_timeout(whole, micros);
  client.set_keep_alive(true);
}

SyncClient::~SyncClient() = default;

std::filesystem::path SyncClient::resolve_image(const std::string& image_path) const {
  std::filesystem::path path = image_path;
  return path.is_relative() ? data_dir_ / path : path;
}

int64_t SyncClient::image_file_size(const std::string& image_path) const {
  std::error_code ec;
  auto size = std::filesystem::file_size(resolve_image(image_path), ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

std::string SyncClient::build_plaintext(const Batch& batch) const {
  nlohmann::json records = nlohmann::json::array();
  for (const PendingRecord& pending : batch.records) {
    if (pending.tombstone) {  // deleted at the shop: head office deletes its copy
      records.push_back({{"record_id", pending.record_id}, {"deleted", true}, {"deleted_at", pending.created_at}});
      continue;
    }
    nlohmann::json record = {{"record_id", pending.record_id}, {"created_at", pending.created_at}};
    nlohmann::json payload = nlohmann::json::parse(pending.payload_json, nullptr, false);
    record["record"] = payload.is_discarded() ? nlohmann::json(pending.payload_json) : std::move(payload);
    if (config_.images != ImageMode::none && !pending.image_path.empty()) {
      std::string bytes = read_file(resolve_image(pending.image_path));
      if (!bytes.empty() && config_.images == ImageMode::thumbnail) {
        const std::span<const uint8_t> encoded(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
        // libjpeg can decode at 1/4 scale directly, which is much cheaper for large photos.
        cv::Mat image = ocr::imdecode_guarded(encoded, cv::IMREAD_REDUCED_COLOR_4);
        if (image.empty() || std::max(image.cols, image.rows) < kThumbnailMaxSide) {
          image = ocr::imdecode_guarded(encoded, cv::IMREAD_COLOR);
        }
        bytes.clear();
        if (!image.empty()) {
          double scale = std::min(1.0, static_cast<double>(kThumbnailMaxSide) / std::max(image.cols, image.rows));
          cv::Mat small;
          cv::resize(image, small, cv::Size(), scale, scale, cv::INTER_AREA);
          std::vector<unsigned char> jpeg;
          ocr::encode_image(".jpg", small, jpeg, {cv::IMWRITE_JPEG_QUALITY, 80});
          bytes.assign(jpeg.begin(), jpeg.end());
        }
      }
      if (!bytes.empty()) {
        record["image"] = {{"kind", image_mode_name(config_.images)},
                           {"content_type", content_type_for(bytes)},
                           {"data", common::base64_encode(bytes)}};
      }
    }
    records.push_back(std::move(record));
  }
  nlohmann::json plaintext = {
      {"store_id", config_.store_id}, {"batch_id", batch.batch_id}, {"records", std::move(records)}};
  return plaintext.dump();
}

PushResult SyncClient::push(const Batch& batch) {
  PushResult result;
  // Compress before encrypting: OCR JSON shrinks ~4x and base64 images lose their 33% overhead.
  std::string body = envelope_to_json(
      seal(key_, config_.store_id, batch.batch_id, deflate_bytes(build_plaintext(batch), 1), "zlib+json"));
  result.wire_bytes = static_cast<int64_t>(body.size());
  std::string path = connection_->url.prefix + "/v1/sync/batches";
  auto response = connection_->client->Post(path, body, "application/json");
  if (!response && (response.error() == httplib::Error::Write || response.error() == httplib::Error::Read)) {
    // The collector may have closed the idle keep-alive connection while this batch was being
    // built (thumbnails take a while); batches are idempotent, so retry once on a new connection.
    connection_->client->stop();
    response = connection_->client->Post(path, body, "application/json");
  }
  if (!response) {
    result.error = "cannot reach collector at " + config_.url + ": " + httplib::to_string(response.error());
    auto tls = connection_->client->get_openssl_verify_result();
    if (tls != X509_V_OK) result.error += std::string(" (certificate: ") + X509_verify_cert_error_string(tls) + ")";
    return result;
  }
  result.http_status = response->status;
  if (response->has_header("Retry-After")) {
    try {
      result.retry_after_s = std::max(0.0, std::stod(response->get_header_value("Retry-After")));
    } catch (const std::exception&) {
      // an HTTP-date or junk: fall back to our own backoff
    }
  }
  if (response->status != 200) {
    result.error = "collector refused batch " + batch.batch_id + " with HTTP " + std::to_string(response->status) + ": " +
                   response->body.substr(0, 300);
    return result;
  }
  nlohmann::json ack = nlohmann::json::parse(response->body, nullptr, false);
  if (ack.is_discarded() || !ack.is_object() || ack.value("ack", std::string()) != batch.batch_id) {
    result.error = "collector answered without acknowledging batch " + batch.batch_id;
    return result;
  }
  result.ok = true;
  return result;
}

namespace {

// How drain_outbox reacts to a refused push.
enum class Refusal { stop, split, dead_letter, rename };

Refusal classify_refusal(const PushResult& pushed, size_t batch_records) {
  switch (pushed.http_status) {
    case 413:  // too large for the collector's body limit
    case 400:  // malformed
      return batch_records > 1 ? Refusal::split : Refusal::dead_letter;
    case 409:  // batch id already used by another store
      return Refusal::rename;
    default:
      // No response, 401/403 (unknown key), 422 (authentication), 5xx...: configuration or
      // outage problems that retrying later can fix; skipping records would lose them for no reason.
      return Refusal::stop;
  }
}

}  // namespace

DrainResult drain_outbox(Outbox& outbox, SyncClient& client, const std::atomic<bool>* stop) {
  DrainResult result;
  std::string renamed_batch;  // the batch id given after a 409: a second 409 on it stops the drain
  double retry_after_s = 0;
  auto fail = [&](const std::string& error) {
    result.ok = false;
    result.error = error;
    result.retry_after_s = retry_after_s;
    try {
      outbox.record_failure(error);
    } catch (const std::exception& e) {
      spdlog::error("sync: cannot record the failure: {}", e.what());
    }
    return result;
  };
  while (!(stop && stop->load())) {
    std::optional<Batch> batch;
    try {
      const SyncConfig& config = client.config();
      std::function<int64_t(const std::string&)> image_bytes;
      if (config.images == ImageMode::full) {
        image_bytes = [&client](const std::string& path) { return client.image_file_size(path); };
      }
      batch = outbox.next_batch(config.batch_size, config.batch_bytes, image_bytes);
    } catch (const std::exception& e) {
      result.ok = false;
      result.error = e.what();
      return result;
    }
    if (!batch) break;
    PushResult pushed;
    try {
      pushed = client.push(*batch);
    } catch (const std::exception& e) {
      pushed.error = e.what();
    }
    result.wire_bytes += pushed.wire_bytes;
    retry_after_s = pushed.retry_after_s;
    if (pushed.ok) {
      outbox.acknowledge(batch->batch_id);
      ++result.batches;
      for (const PendingRecord& sent : batch->records) ++(sent.tombstone ? result.tombstones : result.records);
      continue;
    }
    // A batch the collector will always refuse must not block every record behind it (see the
    // README, "Store-and-forward sync"): split it, dead-letter a lone record, or rename it.
    try {
      switch (classify_refusal(pushed, batch->records.size())) {
        case Refusal::split: {
          int64_t released = outbox.split_batch(batch->batch_id);
          ++result.splits;
          spdlog::warn("sync: {}; split the batch ({} records kept, {} back in the queue)", pushed.error,
                       static_cast<int64_t>(batch->records.size()) - released, released);
          continue;
        }
        case Refusal::dead_letter: {
          int64_t moved = outbox.dead_letter_batch(batch->batch_id, pushed.http_status, pushed.error);
          result.dead_lettered += moved;
          spdlog::error("sync: {}; record {} moved to the dead-letter table (`edgeocr sync requeue` retries it)",
                        pushed.error, batch->records.front().record_id);
          continue;
        }
        case Refusal::rename:
          if (batch->batch_id != renamed_batch) {
            renamed_batch = outbox.rename_batch(batch->batch_id);
            spdlog::warn("sync: {}; retrying it as batch {}", pushed.error, renamed_batch);
            continue;
          }
          break;  // a fresh random id refused again: something else is wrong, stop
        case Refusal::stop:
          break;
      }
    } catch (const std::exception& e) {
      return fail(pushed.error + " (then: " + e.what() + ")");
    }
    return fail(pushed.error);
  }
  return result;
}

double backoff_delay_s(int attempt, double base_s, double max_s) {
  double delay = std::min(max_s, base_s * std::pow(2.0, std::max(0, attempt - 1)));
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return delay * jitter(rng);
}

SyncWorker::SyncWorker(SyncConfig config, std::filesystem::path data_dir, std::filesystem::path database_file)
    : config_(std::move(config)), data_dir_(std::move(data_dir)), database_file_(std::move(database_file)) {
  config_.validate();
  load_key_file(config_.key_file);  // fail at start, not in the background, on a bad key
}

SyncWorker::~SyncWorker() { stop(); }

void SyncWorker::start() {
  if (thread_.joinable()) return;
  // TLS writes to a peer that hung up raise SIGPIPE; the worker must see an error instead.
  ::signal(SIGPIPE, SIG_IGN);
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void SyncWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

double retry_delay_s(int failures, const SyncConfig& config, double retry_after_s) {
  constexpr double kMaxRetryAfterS = 3600;
  const double backoff = backoff_delay_s(failures, std::min(config.interval_s, 1.0), config.max_backoff_s);
  return std::max(backoff, std::min(retry_after_s, kMaxRetryAfterS));
}

void SyncWorker::run() {
  int failures = 0;
  std::optional<SenderLock> lock;
  bool said_waiting = false;
  bool backfilled = false;
  std::unique_ptr<Outbox> outbox;
  std::unique_ptr<SyncClient> client;
  while (!stop_) {
    double wait_s = config_.interval_s;
    try {
      if (!lock) {
        std::string holder;
        lock = SenderLock::try_acquire(data_dir_, &holder);
        if (!lock && !said_waiting) {
          spdlog::warn("sync: {} already sends from {} ({} is locked); this one does not send while it does",
                       holder, data_dir_.string(), SenderLock::file(data_dir_).string());
          said_waiting = true;
        }
        if (lock && said_waiting) spdlog::info("sync: the other syncer is gone; sending from {}", data_dir_.string());
        sending_ = lock.has_value();
      }
      if (lock) {
        if (!backfilled) {
          // Records archived while sync was off (or by an instance without sync) go out too.
          const int64_t enqueued = backfill_outbox(data_dir_, "");
          if (enqueued > 0) spdlog::info("sync: enqueued {} archived records that were never sent", enqueued);
          backfilled = true;
        }
        if (!outbox) outbox = std::make_unique<Outbox>(database_file_);
        if (!client) client = std::make_unique<SyncClient>(config_, data_dir_);
        DrainResult drained = drain_outbox(*outbox, *client, &stop_);
        if (drained.batches > 0) {
          spdlog::info("sync: delivered {} records and {} deletions in {} batches ({} bytes)", drained.records,
                       drained.tombstones, drained.batches, drained.wire_bytes);
        }
        if (drained.ok) {
          failures = 0;
        } else {
          ++failures;
          wait_s = retry_delay_s(failures, config_, drained.retry_after_s);
          spdlog::warn("sync: {} (retry in {:.1f} s)", drained.error, wait_s);
        }
      }
    } catch (const std::exception& e) {
      ++failures;
      wait_s = retry_delay_s(failures, config_, 0);
      spdlog::error("sync: {} (retry in {:.1f} s)", e.what(), wait_s);
      client.reset();
    }
    std::unique_lock wait_lock(mutex_);
    wake_.wait_for(wait_lock, std::chrono::duration<double>(wait_s), [this] { return stop_.load(); });
  }
  sending_ = false;
}

std::vector<std::pair<std::string, std::pair<std::string, double>>> SyncWorker::gauges() {
  std::vector<std::pair<std::string, std::pair<std::string, double>>> out;
  try {
    Outbox outbox(database_file_);
    OutboxStatus s = outbox.status();
    double now_s = static_cast<double>(unix_now_ms()) / 1000.0;
    auto seconds = [](const std::optional<int64_t>& ms) { return ms ? static_cast<double>(*ms) / 1000.0 : 0.0; };
    out.push_back({"edgeocr_sync_pending_records",
                   {"Records in the outbox not yet acknowledged by head office.", static_cast<double>(s.pending)}});
    out.push_back({"edgeocr_sync_oldest_pending_age_seconds",
                   {"Age of the oldest record in the outbox (0 if empty).",
                    s.oldest_pending_unix_ms ? std::max(0.0, now_s - seconds(s.oldest_pending_unix_ms)) : 0.0}});
    out.push_back({"edgeocr_sync_last_success_timestamp_seconds",
                   {"Unix time of the last acknowledged batch (0 if never).", seconds(s.last_success_unix_ms)}});
    out.push_back({"edgeocr_sync_last_error_timestamp_seconds",
                   {"Unix time of the last failed push (0 if never).", seconds(s.last_error_unix_ms)}});
    out.push_back({"edgeocr_sync_last_push_failed",
                   {"1 if the most recent push failed, else 0.", s.last_error.empty() ? 0.0 : 1.0}});
    out.push_back({"edgeocr_sync_dead_letter_records",
                   {"Records the collector refused on their own, kept for `edgeocr sync requeue`.",
                    static_cast<double>(s.dead_letter)}});
    out.push_back({"edgeocr_sync_delivered_records",
                   {"Records acknowledged by head office since the archive was created.",
                    static_cast<double>(s.delivered_total)}});
  } catch (const std::exception& e) {
    spdlog::warn("sync: metrics unavailable: {}", e.what());
  }
  return out;
}

}  // namespace edgeocr::sync
