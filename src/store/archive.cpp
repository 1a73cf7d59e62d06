#include "store/archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string_view>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "common/hex.h"
#include "common/sha256.h"
#include "common/uuid.h"
#include "store/sqlite.h"

namespace edgeocr::store {
namespace {

namespace fs = std::filesystem;

// The archive's own schema. Append new migrations with the next version number; never edit a
// released one. (Other areas pass theirs in ArchiveOptions::extra_migrations, versions >= 1000.)
const std::vector<Migration>& own_migrations() {
  static const std::vector<Migration> migrations = {
      {1,
       "CREATE TABLE records ("
       "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
       "  id TEXT NOT NULL UNIQUE,"
       "  created_at TEXT NOT NULL,"
       "  image_sha256 TEXT NOT NULL DEFAULT '',"
       "  image_ext TEXT NOT NULL DEFAULT '',"
       "  result_json TEXT NOT NULL,"
       "  fields_json TEXT NOT NULL DEFAULT '',"
       "  text TEXT NOT NULL DEFAULT '');"
       "CREATE INDEX records_created_at ON records(created_at);"
       "CREATE INDEX records_image_sha256 ON records(image_sha256);"},
  };
  return migrations;
}

using sqlite::exec;
using sqlite::Statement;
using sqlite::Transaction;
using sqlite::kRecordColumns;
using sqlite::read_record;

void fsync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw StoreError("archive: cannot open " + path.string());
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw StoreError("archive: fsync failed for " + path.string());
}

// Writes `bytes` to `target` so that readers (and a crash) see either nothing or the whole file.
void write_file_atomically(const fs::path& target, std::span<const uint8_t> bytes) {
  const fs::path tmp = target.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw StoreError("archive: cannot create " + tmp.string());
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw StoreError("archive: write failed for " + tmp.string());
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw StoreError("archive: fsync failed for " + tmp.string());
  }
  ::close(fd);
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw StoreError("archive: rename failed for " + target.string());
  }
  fsync_path(target.parent_path(), O_RDONLY | O_DIRECTORY);  // make the rename itself durable
}

bool valid_extension(const std::string& ext) {
  return !ext.empty() && ext.size() <= 8 &&
         std::all_of(ext.begin(), ext.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// Turns "2026-11-25" (end of range: whole day) or a full timestamp into a comparable string.
std::string normalize_bound(const std::string& value, bool end_of_range) {
  if (value.empty()) return value;
  const bool date_only = value.size() == 10 && value[4] == '-' && value[7] == '-';
  if (date_only) return value + (end_of_range ? "T23:59:59.999Z" : "T00:00:00.000Z");
  if (value.size() < 10 || value[4] != '-' || value[7] != '-')
    throw std::invalid_argument("dates must look like 2026-11-25 or 2026-11-25T10:00:00Z, got '" + value + "'");
  return value;
}

std::string escape_like(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

struct Filter {
  std::string where;  // " WHERE ..." or empty
  std::vector<std::string> params;
};

Filter build_filter(const ListQuery& q) {
  Filter f;
  std::vector<std::string> clauses;
  if (!q.from.empty()) {
    clauses.push_back("created_at >= ?");
    f.params.push_back(normalize_bound(q.from, false));
  }
  if (!q.to.empty()) {
    clauses.push_back("created_at <= ?");
    f.params.push_back(normalize_bound(q.to, true));
  }
  if (!q.text_query.empty()) {
    clauses.push_back("text LIKE ? ESCAPE '\\'");
    std::string pattern = "%";
    pattern += escape_like(q.text_query);
    pattern += '%';
    f.params.push_back(std::move(pattern));
  }
  for (size_t i = 0; i < clauses.size(); ++i) {
    f.where += i == 0 ? " WHERE " : " AND ";
    f.where += clauses[i];
  }
  return f;
}

// A quoted CSV cell. A spreadsheet runs a cell that starts with = + - @ (or a tab / carriage
// return before one) as a formula: such cells get a leading apostrophe, which Excel and
// LibreOffice show as plain text.
std::string csv_field(const std::string& value) {
  std::string out = "\"";
  if (!value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos) out += '\'';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// ISO 8601 UTC with milliseconds: the one timestamp form of the archive (text-comparable).
std::string iso8601_utc(std::chrono::system_clock::time_point at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return out;
}

}  // namespace

std::string utc_now_iso8601() { return iso8601_utc(std::chrono::system_clock::now()); }

fs::path Archive::database_file(const fs::path& data_dir) { return data_dir / "archive.db"; }

struct Archive::Connection {
  sqlite3* db = nullptr;
};

Archive::Archive(ArchiveOptions options) : options_(std::move(options)), connection_(std::make_unique<Connection>()) {
  for (const auto& m : options_.extra_migrations)
    if (m.version < 1000) throw StoreError("archive: extra migrations must use versions >= 1000");
  std::error_code ec;
  fs::create_directories(options_.data_dir / "images", ec);
  if (ec) throw StoreError("archive: cannot create " + (options_.data_dir / "images").string() + ": " + ec.message());
  const fs::path file = database_file(options_.data_dir);
  if (sqlite3_open_v2(file.c_str(), &connection_->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = connection_->db ? sqlite3_errmsg(connection_->db) : "out of memory";
    sqlite3_close(connection_->db);
    throw StoreError("archive: cannot open " + file.string() + ": " + message);
  }
  try {
    sqlite3_busy_timeout(connection_->db, 5000);  // the sync worker uses its own connection
    exec(connection_->db, "PRAGMA journal_mode=WAL");
    // FULL: every commit fsyncs the WAL, so an acknowledged record survives power loss as well
    // as a process crash (NORMAL would only survive the crash). One fsync per insert is noise
    // next to the OCR itself.
    exec(connection_->db, "PRAGMA synchronous=FULL");
    exec(connection_->db, "PRAGMA foreign_keys=ON");
    migrate();
  } catch (...) {
    sqlite3_close(connection_->db);
    throw;
  }
}

Archive::~Archive() {
  // Checkpoint so the database file is self-contained after a clean shutdown.
  sqlite3_exec(connection_->db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  sqlite3_close_v2(connection_->db);
}

void Archive::migrate() {
  exec(connection_->db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
  std::vector<Migration> all = own_migrations();
  all.insert(all.end(), options_.extra_migrations.begin(), options_.extra_migrations.end());
  std::sort(all.begin(), all.end(), [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (const auto& m : all) {
    Transaction tx(connection_->db);
    Statement check(connection_->db, "SELECT 1 FROM schema_version WHERE version = ?");
    check.bind(1, static_cast<int64_t>(m.version));
    if (check.step()) continue;
    if (!m.sql.empty()) exec(connection_->db, m.sql);
    if (m.apply) {
      sqlite::Handle handle(connection_->db);
      m.apply(handle);
    }
    Statement mark(connection_->db, "INSERT INTO schema_version(version, applied_at) VALUES (?, ?)");
    mark.bind(1, static_cast<int64_t>(m.version));
    mark.bind(2, utc_now_iso8601());
    mark.step();
    tx.commit();
  }
}

int Archive::schema_version() {
  std::lock_guard lock(mutex_);
  Statement st(connection_->db, "SELECT COALESCE(MAX(version), 0) FROM schema_version WHERE version < 1000");
  st.step();
  return static_cast<int>(st.integer(0));
}

std::string Archive::image_relative_path(const Record& record) {
  if (record.image_sha256.size() < 2) return {};
  return "images/" + record.image_sha256.substr(0, 2) + "/" + record.image_sha256 + "." + record.image_ext;
}

fs::path Archive::image_path(const Record& record) const {
  const std::string relative = image_relative_path(record);
  return relative.empty() ? fs::path() : options_.data_dir / relative;
}

std::string Archive::store_image(std::span<const uint8_t> bytes, const std::string& ext) {
  const std::string sha = common::sha256_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  Record probe;
  probe.image_sha256 = sha;
  probe.image_ext = ext;
  const fs::path target = image_path(probe);
  std::error_code ec;
  if (fs::exists(target, ec)) return sha;  // deduplicated: same bytes already stored
  fs::create_directories(target.parent_path(), ec);
  if (ec) throw StoreError("archive: cannot create " + target.parent_path().string() + ": " + ec.message());
  write_file_atomically(target, bytes);
  return sha;
}

Record Archive::insert(const NewRecord& input) {
  Record r;
  r.id = common::new_uuid_v4();
  r.created_at = utc_now_iso8601();
  r.result_json = input.result_json;
  r.fields_json = input.fields_json;
  r.text = input.text;
  std::lock_guard lock(mutex_);
  if (!input.image.empty()) {
    if (!valid_extension(input.image_ext)) throw StoreError("archive: bad image extension '" + input.image_ext + "'");
    r.image_ext = input.image_ext;
    // The file goes first: a crash before the commit leaves at most an unreferenced file,
    // never a record without its image.
    r.image_sha256 = store_image(input.image, input.image_ext);
  }
  Transaction tx(connection_->db);
  Statement st(connection_->db,
               "INSERT INTO records(id, created_at, image_sha256, image_ext, result_json, fields_json, text) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, r.id);
  st.bind(2, r.created_at);
  st.bind(3, r.image_sha256);
  st.bind(4, r.image_ext);
  st.bind(5, r.result_json);
  st.bind(6, r.fields_json);
  st.bind(7, r.text);
  st.step();
  r.seq = sqlite3_last_insert_rowid(connection_->db);
  // Other areas' rows that must commit with the record (sync outbox) are written here.
  sqlite::Handle handle(connection_->db);
  for (const auto& hook : options_.insert_hooks) hook(handle, r);
  tx.commit();
  return r;
}

std::optional<Record> Archive::get(const std::string& id) {
  std::lock_guard lock(mutex_);
  Statement st(connection_->db, std::string("SELECT ") + kRecordColumns + " FROM records WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_record(st);
}

ListPage Archive::list(const ListQuery& query) {
  if (query.limit < 1 || query.limit > 500) throw std::invalid_argument("limit must be between 1 and 500");
  if (query.offset < 0) throw std::invalid_argument("offset must not be negative");
  int64_t cursor_seq = 0;
  if (!query.cursor.empty()) {
    try {
      size_t used = 0;
      cursor_seq = std::stoll(query.cursor, &used);
      if (used != query.cursor.size() || cursor_seq <= 0) throw std::invalid_argument("");
    } catch (const std::exception&) {
      throw std::invalid_argument("cursor '" + query.cursor + "' is not one this server returned");
    }
  }
  const Filter filter = build_filter(query);
  std::lock_guard lock(mutex_);
  ListPage page;
  {
    Statement st(connection_->db, "SELECT COUNT(*) FROM records" + filter.where);
    for (size_t i = 0; i < filter.params.size(); ++i) st.bind(static_cast<int>(i + 1), filter.params[i]);
    st.step();
    page.total = st.integer(0);
  }
  std::string where = filter.where;
  if (cursor_seq > 0) where += (where.empty() ? " WHERE " : " AND ") + std::string("seq < ?");
  Statement st(connection_->db, std::string("SELECT ") + kRecordColumns + " FROM records" + where +
                        " ORDER BY seq DESC LIMIT ? OFFSET ?");
  int index = 1;
  for (const auto& p : filter.params) st.bind(index++, p);
  if (cursor_seq > 0) st.bind(index++, cursor_seq);
  st.bind(index++, static_cast<int64_t>(query.limit + 1));  // one extra row tells if more follow
  st.bind(index++, static_cast<int64_t>(cursor_seq > 0 ? 0 : query.offset));
  while (st.step()) page.records.push_back(read_record(st));
  if (static_cast<int>(page.records.size()) > query.limit) {
    page.records.pop_back();
    page.next_cursor = std::to_string(page.records.back().seq);
  }
  return page;
}

bool Archive::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  Record record;
  {
    Transaction tx(connection_->db);
    Statement find(connection_->db, std::string("SELECT ") + kRecordColumns + " FROM records WHERE id = ?");
    find.bind(1, id);
    if (!find.step()) return false;
    record = read_record(find);
    Statement del(connection_->db, "DELETE FROM records WHERE id = ?");
    del.bind(1, id);
    del.step();
    // Other areas' rows about this record (the sync outbox) change in the same transaction.
    sqlite::Handle handle(connection_->db);
    for (const auto& hook : options_.remove_hooks) hook(handle, record);
    tx.commit();
  }
  remove_unused_image(record.image_sha256, record.image_ext);
  return true;
}

bool Archive::remove_unused_image(const std::string& sha, const std::string& ext) {
  if (sha.empty()) return false;
  Statement used(connection_->db, "SELECT COUNT(*) FROM records WHERE image_sha256 = ? AND image_ext = ?");
  used.bind(1, sha);
  used.bind(2, ext);
  used.step();
  if (used.integer(0) != 0) return false;
  Record probe;
  probe.image_sha256 = sha;
  probe.image_ext = ext;
  std::error_code ec;
  return fs::remove(image_path(probe), ec);  // a leftover file is harmless; the record is gone
}

namespace {

// ISO 8601 UTC of `days` ago, comparable with created_at.
std::string days_ago_iso8601(double days) {
  return iso8601_utc(std::chrono::system_clock::now() -
                     std::chrono::milliseconds(static_cast<int64_t>(days * 86400.0 * 1000.0)));
}

}  // namespace

PruneResult Archive::prune(const RetentionPolicy& policy) {
  if (policy.images_days < 0 || policy.records_days < 0) throw std::invalid_argument("retention days must be >= 0");
  std::string held;
  for (const auto& hold : options_.retention_holds) held += " AND NOT (" + hold + ")";
  PruneResult result;
  std::vector<std::pair<std::string, std::string>> images;  // (sha, ext) that may now be unused
  std::lock_guard lock(mutex_);
  {
    Transaction tx(connection_->db);
    auto collect_images = [&](const std::string& where, const std::string& cutoff) {
      Statement st(connection_->db, "SELECT DISTINCT image_sha256, image_ext FROM records WHERE " + where + held);
      st.bind(1, cutoff);
      while (st.step()) images.emplace_back(st.text(0), st.text(1));
    };
    if (policy.records_days > 0) {
      const std::string where = "created_at < ?";
      const std::string cutoff = days_ago_iso8601(policy.records_days);
      collect_images(where + " AND image_sha256 != ''", cutoff);
      Statement del(connection_->db, "DELETE FROM records WHERE " + where + held);
      del.bind(1, cutoff);
      del.step();
      result.records_removed = sqlite3_changes(connection_->db);
    }
    if (policy.images_days > 0) {
      const std::string where = "created_at < ? AND image_sha256 != ''";
      const std::string cutoff = days_ago_iso8601(policy.images_days);
      collect_images(where, cutoff);
      Statement clear(connection_->db, "UPDATE records SET image_sha256 = '', image_ext = '' WHERE " + where + held);
      clear.bind(1, cutoff);
      clear.step();
      result.images_cleared = sqlite3_changes(connection_->db);
    }
    tx.commit();
  }
  for (const auto& [sha, ext] : images)
    if (remove_unused_image(sha, ext)) ++result.files_removed;
  return result;
}

int64_t Archive::count() {
  std::lock_guard lock(mutex_);
  Statement st(connection_->db, "SELECT COUNT(*) FROM records");
  st.step();
  return st.integer(0);
}

void Archive::write_csv(std::ostream& out, const ListQuery& query) {
  const Filter filter = build_filter(query);
  struct Row {
    std::string id, created_at, image_sha256, text;
    nlohmann::json fields;
  };
  std::vector<Row> rows;
  std::vector<std::string> columns;  // field names, in order of first appearance
  {
    std::lock_guard lock(mutex_);
    Statement st(connection_->db, "SELECT id, created_at, image_sha256, text, fields_json FROM records" + filter.where +
                          " ORDER BY seq DESC");
    for (size_t i = 0; i < filter.params.size(); ++i) st.bind(static_cast<int>(i + 1), filter.params[i]);
    while (st.step()) {
      Row row{st.text(0), st.text(1), st.text(2), st.text(3), nlohmann::json::parse(st.text(4), nullptr, false)};
      if (!row.fields.is_object()) row.fields = nlohmann::json::object();
      for (const auto& [name, value] : row.fields.items())
        if (std::find(columns.begin(), columns.end(), name) == columns.end()) columns.push_back(name);
      rows.push_back(std::move(row));
    }
  }
  // UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly; one column per field.
  out << "\xEF\xBB\xBF" << "id,created_at,image_sha256,text";
  for (const auto& name : columns) out << ',' << csv_field(name);
  out << "\r\n";
  for (const auto& row : rows) {
    out << csv_field(row.id) << ',' << csv_field(row.created_at) << ',' << csv_field(row.image_sha256) << ','
        << csv_field(row.text);
    for (const auto& name : columns) {
      const auto it = row.fields.find(name);
      std::string cell;
      if (it != row.fields.end() && !it->is_null()) cell = it->is_string() ? it->get<std::string>() : it->dump();
      out << ',' << csv_field(cell);
    }
    out << "\r\n";
  }
}

}  // namespace edgeocr::store
