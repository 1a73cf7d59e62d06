// The edge-side outbox: one row per archived record still to be delivered to head office.
// Rows are written in the SAME SQLite transaction as the record (see enqueue_in_transaction),
// grouped into batches with a stable batch id before sending, and deleted only after the
// collector acknowledged that batch, so a crash at any point re-sends the same batch id.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/archive.h"

struct sqlite3;

namespace edgeocr::sync {

// Schema of the outbox (idempotent DDL): the store's versioned migration runs it.
const char* outbox_migration_sql();
// Second outbox migration (idempotent DDL): the dead-letter table (records the collector refuses
// on their own, kept for `edgeocr sync requeue`) and the delivered-record ids (so that
// `edgeocr sync backfill` never re-sends what head office already acknowledged).
const char* outbox_dead_letter_migration_sql();

// Third outbox migration: a `kind` column on the outbox and dead-letter rows ('record' or
// 'tombstone': the record was deleted at the shop and head office must delete its copy).
// Idempotent: the Outbox connection also runs it on archives no current serve has opened.
void outbox_kind_migration(store::TransactionHandle& tx);

struct OutboxItem {
  std::string record_id;
  std::string created_at;     // ISO 8601 UTC, as stored in the archive
  std::string payload_json;   // the record as head office should see it (result, fields, sha256)
  std::string image_path;     // stored image file (absolute, or relative to the data dir); may be empty
};

// Adds `item` to the outbox. Must be called inside the caller's open transaction (the record
// insert), so that the record and its outbox row commit or roll back together; std::logic_error
// outside one. Throws store::StoreError on SQLite errors.
void enqueue_in_transaction(store::TransactionHandle& tx, const OutboxItem& item);

// The record `record_id` was deleted from the archive (call inside the deletion's transaction):
// a send still pending is dropped, a dead-lettered copy forgotten, and when head office has or
// may have the record (delivered, or in a batch already on its way) a tombstone is queued so that
// head office deletes it too.
void remove_in_transaction(store::TransactionHandle& tx, const std::string& record_id);

struct PendingRecord {
  std::string record_id;
  std::string created_at;    // the record's; for a tombstone, when it was deleted
  std::string payload_json;
  std::string image_path;
  bool tombstone = false;
};

struct Batch {
  std::string batch_id;
  std::vector<PendingRecord> records;
};

struct OutboxStatus {
  int64_t pending = 0;
  int64_t dead_letter = 0;  // records in the dead-letter table (refused by the collector on their own)
  std::optional<int64_t> oldest_pending_unix_ms;
  std::optional<int64_t> last_success_unix_ms;
  std::optional<int64_t> last_attempt_unix_ms;
  std::string last_error;  // empty after a success
  std::optional<int64_t> last_error_unix_ms;
  int64_t delivered_total = 0;
};

// A connection to the archive database for the sync worker. Safe to use from one thread.
class Outbox {
 public:
  // Opens (WAL) the database file and makes sure the outbox tables exist.
  explicit Outbox(const std::filesystem::path& database_file);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // The oldest batch already assigned (a re-send after a crash or failure keeps its batch id),
  // otherwise up to `max_records` of the oldest unassigned rows under a fresh batch id.
  // Returns nullopt when nothing is pending. Reads only that many rows (bounded memory).
  // A new batch also stops before `max_bytes` (0: no limit) of payload plus image bytes, as
  // measured by `image_bytes` (empty: images not sent), but always holds at least one record.
  std::optional<Batch> next_batch(int max_records, int64_t max_bytes = 0,
                                  const std::function<int64_t(const std::string& image_path)>& image_bytes = {});
  // The collector acknowledged `batch_id`: delete its rows, remember the ids of its records as
  // delivered (for backfill and retention), add them to delivered_total and record the success,
  // all in one transaction. Tombstones are neither remembered nor counted: they are not records.
  void acknowledge(const std::string& batch_id);
  void record_failure(const std::string& message);
  OutboxStatus status();

  // Refusal handling (see drain_outbox for the policy). Each is one transaction.
  // Keeps the oldest half (rounded up) of `batch_id`'s rows under that id and returns the others
  // to the unassigned pool; returns how many were released (0 if the batch has < 2 rows).
  int64_t split_batch(const std::string& batch_id);
  // Moves every row of `batch_id` from the outbox into the dead-letter table with the refusal
  // (`http_status`, `error`); returns how many rows moved.
  int64_t dead_letter_batch(const std::string& batch_id, int http_status, const std::string& error);
  // Gives the rows of `batch_id` a fresh batch id (e.g. the old one is taken by another store at
  // head office); returns the new id. Throws std::runtime_error if no row has `batch_id`.
  std::string rename_batch(const std::string& batch_id);
  // Moves every dead-lettered record back into the outbox (unassigned); returns how many.
  int64_t requeue_dead_letters();
  // Enqueues, oldest first, every archived record (`records` table of the archive) created at or
  // after `since` (ISO 8601 prefix, e.g. "2026-11-01"; empty: all) that is neither in the outbox,
  // nor dead-lettered, nor remembered as delivered. `to_item` builds the outbox row of a record.
  // Works in transactions of a few hundred records; returns how many were enqueued.
  int64_t backfill(const std::string& since, const std::function<OutboxItem(const store::Record&)>& to_item);

 private:
  sqlite3* db_ = nullptr;
};

int64_t unix_now_ms();

}  // namespace edgeocr::sync
