// Edge-side sync: configuration, one HTTPS push of a batch, draining the outbox, and the
// background worker that `edgeocr serve` runs (interval, exponential backoff with jitter).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "settings/settings.h"
#include "sync/envelope.h"
#include "sync/outbox.h"

namespace edgeocr::sync {

enum class ImageMode { none, thumbnail, full };

struct SyncConfig {
  std::string url;          // sync.url: https://host:port[/prefix]; batches go to <prefix>/v1/sync/batches
  std::string ca;           // sync.ca: CA bundle that signs the collector's certificate
  std::string client_cert;  // sync.client_cert / sync.client_key: optional mutual TLS
  std::string client_key;
  std::string key_file;     // sync.key_file: 64 hex chars, mode 0600
  std::string key_id;       // sync.key_id: defaults to the key's fingerprint
  std::string store_id;     // sync.store_id
  double interval_s = 30;   // sync.interval
  int batch_size = 200;     // sync.batch_size (records)
  int64_t batch_bytes = 8 << 20;  // sync.batch_bytes: also cap a batch's payload + image bytes
  ImageMode images = ImageMode::none;  // sync.images = none|thumbnail|full
  double timeout_s = 30;    // sync.timeout: connect/read timeout per request
  double max_backoff_s = 300;  // sync.max_backoff

  // The configuration from resolved sync.* settings (declared with their ranges in
  // settings/keys.cpp, so values are already checked).
  static SyncConfig from_settings(const settings::Settings& settings);
  // Checks that everything needed to push is there (url, store id, key, ca). Throws on error.
  void validate() const;
};

ImageMode parse_image_mode(const std::string& text);
const char* image_mode_name(ImageMode mode);
// "2026-01-31T12:00:00Z"
std::string format_utc(int64_t unix_ms);

struct PushResult {
  bool ok = false;
  int http_status = 0;        // 0 when no response (connection failed)
  std::string error;          // for the log and `sync status`
  int64_t wire_bytes = 0;     // request body size
  double retry_after_s = 0;   // the collector's Retry-After (seconds; 0: none)
};

// Seals batches and posts them to the collector over verified HTTPS.
class SyncClient {
 public:
  SyncClient(SyncConfig config, std::filesystem::path data_dir);
  ~SyncClient();
  SyncClient(const SyncClient&) = delete;
  SyncClient& operator=(const SyncClient&) = delete;

  // Plaintext of a batch: {store_id, batch_id, records: [...]} with images per sync.images.
  std::string build_plaintext(const Batch& batch) const;
  PushResult push(const Batch& batch);
  // Size of a stored image (0 if missing); paths are relative to the data dir.
  int64_t image_file_size(const std::string& image_path) const;
  const SyncConfig& config() const { return config_; }

 private:
  struct Connection;
  std::filesystem::path resolve_image(const std::string& image_path) const;
  SyncConfig config_;
  std::filesystem::path data_dir_;
  StoreKey key_;
  std::unique_ptr<Connection> connection_;
};

struct DrainResult {
  bool ok = true;               // false if a push failed (the error is in the outbox state)
  int64_t batches = 0;
  int64_t records = 0;
  int64_t tombstones = 0;       // deletions delivered (records deleted at the shop)
  int64_t wire_bytes = 0;
  int64_t splits = 0;           // refused batches split in two
  int64_t dead_lettered = 0;    // records moved to the dead-letter table
  double retry_after_s = 0;     // the failed push's Retry-After, if the collector sent one
  std::string error;
};

// Pushes batches until the outbox is empty, a push fails, or `stop` becomes true.
// Refusals that retrying cannot fix do not stop the drain, so that one bad record never blocks
// the records behind it:
//   413 / 400 for a batch of several records: keep the first half under the batch id, return the
//     rest to the queue, continue (the collector dedups by record id, so re-batching is safe);
//   413 / 400 for a single record: move it to the dead-letter table (one transaction), continue;
//   409 (batch id used by another store): give the batch a fresh id and retry it (once).
// Everything else (no response, 401/403, 422, 5xx) stops the drain and records the failure: those
// are configuration or outage problems, and the caller backs off and retries.
DrainResult drain_outbox(Outbox& outbox, SyncClient& client, const std::atomic<bool>* stop = nullptr);

// Delay before retry number `attempt` (1-based): min(max, base * 2^(attempt-1)), then "equal
// jitter" in [delay/2, delay] so that many shops coming back online do not retry in lock-step.
double backoff_delay_s(int attempt, double base_s, double max_s);

// Delay before the next round after `failures` failed rounds in a row: the backoff, but never
// sooner than the collector asked (Retry-After, capped at an hour).
double retry_delay_s(int failures, const SyncConfig& config, double retry_after_s);

// Background worker for `edgeocr serve` and `sync --watch`: sends only while it holds the data
// folder's SenderLock (waiting, and saying so, while another syncer has it); enqueues archived
// records that never went to the outbox (backfill) once it holds it; then drains every
// sync.interval seconds and backs off on failure.
class SyncWorker {
 public:
  SyncWorker(SyncConfig config, std::filesystem::path data_dir, std::filesystem::path database_file);
  ~SyncWorker();  // stops and joins
  SyncWorker(const SyncWorker&) = delete;
  SyncWorker& operator=(const SyncWorker&) = delete;
  void start();
  void stop();
  bool sending() const { return sending_; }  // false while another syncer holds the folder's lock
  // The outbox gauges on serve's /metrics (pending, oldest pending age, last success, last error,
  // dead letters, delivered): name -> (help, value), the shape of serve::Metrics' gauge source.
  std::vector<std::pair<std::string, std::pair<std::string, double>>> gauges();

 private:
  void run();
  SyncConfig config_;
  std::filesystem::path data_dir_;
  std::filesystem::path database_file_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> sending_{false};  // holds the sender lock
};

}  // namespace edgeocr::sync
