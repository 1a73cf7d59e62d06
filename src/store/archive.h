// The local archive: every OCR result (and its source image) kept on the edge machine.
// SQLite in WAL mode under <data_dir>/archive.db; images as files under
// <data_dir>/images/<sha256[0:2]>/<sha256>.<ext>, written atomically and deduplicated by hash.
// One Archive object is shared by all server threads (calls are serialized internally).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;

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

// Runs inside the record's insert transaction, after the record row is written; throwing rolls
// the whole insert back. Used by the sync outbox (issue 5) so that a record and its outbox entry
// commit together.
using InsertHook = std::function<void(sqlite3* db, const Record& record)>;

// One schema migration: applied once, in order, inside a transaction; schema_version records it.
struct Migration {
  int version;
  std::string sql;
};

struct ArchiveOptions {
  std::filesystem::path data_dir = "data";
  // Extra migrations of other areas (e.g. the sync outbox). Versions must be >= 1000 so they
  // never collide with the archive's own (1..999).
  std::vector<Migration> extra_migrations;
  std::vector<InsertHook> insert_hooks;
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
  bool remove(const std::string& id);  // deletes the image file too when nothing else uses it
  int64_t count();
  int schema_version();
  // All matches (ignores paging) as CSV for spreadsheets: UTF-8 with BOM; id, created_at,
  // image_sha256, text, then one column per extracted field; formula-like cells neutralised.
  void write_csv(std::ostream& out, const ListQuery& filter);
  std::filesystem::path image_path(const Record& record) const;  // empty when no image
  const std::filesystem::path& data_dir() const { return options_.data_dir; }

 private:
  void migrate();
  std::string store_image(std::span<const uint8_t> bytes, const std::string& ext);

  ArchiveOptions options_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

std::string sha256_hex(std::span<const uint8_t> bytes);
std::string new_uuid_v4();
std::string utc_now_iso8601();

}  // namespace edgeocr::store
