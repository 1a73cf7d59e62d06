// The local archive: every OCR result (and its source image) kept on the edge machine.
// SQLite in WAL mode under <data_dir>/archive.db; images as files under
// <data_dir>/images/<sha256[0:2]>/<sha256>.<ext>, written atomically and deduplicated by hash.
// One Archive object is shared by all server threads (calls are serialized internally).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace edgeocr::store {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NewRecord {
  std::span<const uint8_t> image;  // encoded source image (may be empty: no image stored)
  std::string image_ext = "jpg";   // file extension for the stored image, without the dot
  std::string result_json;         // full OCR result
  std::string fields_json;         // extracted fields; empty when there are none
  std::string text;                // plain text, used by search
};

struct Record {
  int64_t seq = 0;           // insertion order (used by cursors)
  std::string id;            // UUID v4
  std::string created_at;    // ISO 8601 UTC with milliseconds, e.g. 2026-11-25T02:30:00.123Z
  std::string image_sha256;  // hex; empty when no image was stored
  std::string image_ext;
  std::string result_json;
  std::string fields_json;
  std::string text;
};

struct ListQuery {
  int limit = 50;            // 1..500
  int offset = 0;            // ignored when cursor is set
  std::string cursor;        // next_cursor of a previous page
  std::string from, to;      // ISO dates/times (inclusive); "2026-11-25" for `to` means the whole day
  std::string text_query;    // substring search in the text (case-insensitive for ASCII)
};

struct ListPage {
  std::vector<Record> records;  // newest first
  int64_t total = 0;            // matches of the filter, ignoring paging
  std::string next_cursor;      // empty when this is the last page
};

// SQL on the archive's database within an open transaction, for other areas' rows that must
// commit or roll back with the store's own change (a record written or deleted, a migration).
// The store owns it; a hook may use it only while it runs. Errors throw StoreError, and a hook
// that throws rolls the whole change back.
class TransactionHandle {
 public:
  using Value = std::variant<int64_t, std::string>;
  virtual ~TransactionHandle() = default;
  // Runs one statement (or, without parameters, several separated by ';') with `params` bound
  // to ?1, ?2, ...
  virtual void execute(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  // The first column of the first row as an integer; nullopt for no row or NULL.
  virtual std::optional<int64_t> query_integer(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  // Whether a transaction is open (hooks are always called inside one).
  virtual bool in_transaction() const = 0;
};

// Runs inside the record's insert transaction, after the record row is written (the sync outbox
// enqueues the record here, so that a record and its outbox entry commit together).
using InsertHook = std::function<void(TransactionHandle& tx, const Record& record)>;
// Runs inside a deletion's transaction (Archive::remove), after the record row is gone (the sync
// outbox drops a pending send and queues a tombstone for head office here). Retention pruning
// does not run it: pruning only frees space on this machine.
using RemoveHook = std::function<void(TransactionHandle& tx, const Record& record)>;

// One schema migration: applied once, in order, inside a transaction; schema_version records it.
// `sql` runs first, then `apply` when set (for steps SQL cannot make idempotent, e.g. adding a
// column that another component may already have added).
struct Migration {
  int version;
  std::string sql;
  std::function<void(TransactionHandle& tx)> apply = {};
};

// How long this machine keeps things; 0 = forever.
struct RetentionPolicy {
  double images_days = 0;   // image files of records older than this are deleted (the record stays)
  double records_days = 0;  // records older than this are deleted with their images
};

struct PruneResult {
  int64_t records_removed = 0;
  int64_t images_cleared = 0;  // records whose image reference was dropped
  int64_t files_removed = 0;   // image files deleted (shared files go with their last record)
};

struct ArchiveOptions {
  std::filesystem::path data_dir = "data";
  // Extra migrations of other areas (e.g. the sync outbox). Versions must be >= 1000 so they
  // never collide with the archive's own (1..999).
  std::vector<Migration> extra_migrations;
  std::vector<InsertHook> insert_hooks;
  std::vector<RemoveHook> remove_hooks;
  // SQL conditions on a `records` row (e.g. "NOT EXISTS (... WHERE x.record_id = records.id)")
  // that keep it, and its image, from retention pruning; the sync outbox holds undelivered records.
  std::vector<std::string> retention_holds;
};

class Archive {
 public:
  explicit Archive(ArchiveOptions options);  // opens/creates and migrates; throws StoreError
  ~Archive();
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  static std::filesystem::path database_file(const std::filesystem::path& data_dir);

  Record insert(const NewRecord& record);  // one transaction; image file written first
  std::optional<Record> get(const std::string& id);
  ListPage list(const ListQuery& query);
  // Deletes the record (and its image file when nothing else uses it); remove hooks run in the
  // same transaction. False when there is no such record.
  bool remove(const std::string& id);
  // Applies `policy` (one transaction), honouring ArchiveOptions::retention_holds.
  PruneResult prune(const RetentionPolicy& policy);
  int64_t count();
  int schema_version();
  // All matches (ignores paging) as CSV for spreadsheets: UTF-8 with BOM; id, created_at,
  // image_sha256, text, then one column per extracted field; formula-like cells neutralised.
  void write_csv(std::ostream& out, const ListQuery& filter);
  std::filesystem::path image_path(const Record& record) const;  // empty when no image
  // The image's path relative to the data dir, images/<sha256[0:2]>/<sha256>.<ext>; empty when none.
  static std::string image_relative_path(const Record& record);
  const std::filesystem::path& data_dir() const { return options_.data_dir; }

 private:
  void migrate();
  std::string store_image(std::span<const uint8_t> bytes, const std::string& ext);
  bool remove_unused_image(const std::string& sha, const std::string& ext);  // under mutex_

  ArchiveOptions options_;
  struct Connection;  // the SQLite connection, private to archive.cpp
  std::unique_ptr<Connection> connection_;
  std::mutex mutex_;
};

std::string utc_now_iso8601();

}  // namespace edgeocr::store
