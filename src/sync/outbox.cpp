#include "sync/outbox.h"

#include <chrono>
#include <stdexcept>

#include <sqlite3.h>

#include "common/uuid.h"
#include "store/archive.h"
#include "store/sqlite.h"
#include "sync/envelope.h"

namespace edgeocr::sync {
namespace {

using store::sqlite::exec;
using store::sqlite::Statement;
using store::sqlite::Transaction;

void set_state(sqlite3* db, const char* key, const std::string& value) {
  Statement st(db, "INSERT INTO sync_state(key, value) VALUES(?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  st.bind(1, std::string(key));
  st.bind(2, value);
  st.step();
}

}  // namespace

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* outbox_migration_sql() {
  return "CREATE TABLE IF NOT EXISTS sync_outbox ("
         "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
         "  record_id TEXT NOT NULL UNIQUE,"
         "  created_at TEXT NOT NULL,"
         "  enqueued_unix_ms INTEGER NOT NULL,"
         "  payload TEXT NOT NULL,"
         "  image_path TEXT NOT NULL DEFAULT '',"
         "  batch_id TEXT"
         ");"
         "CREATE INDEX IF NOT EXISTS sync_outbox_batch ON sync_outbox(batch_id);"
         "CREATE TABLE IF NOT EXISTS sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);";
}

const char* outbox_dead_letter_migration_sql() {
  return "CREATE TABLE IF NOT EXISTS sync_dead_letter ("
         "  record_id TEXT PRIMARY KEY,"
         "  created_at TEXT NOT NULL,"
         "  payload_json TEXT NOT NULL,"
         "  image_path TEXT NOT NULL DEFAULT '',"
         "  http_status INTEGER NOT NULL,"
         "  error TEXT NOT NULL,"
         "  failed_at TEXT NOT NULL"
         ");"
         // WITHOUT ROWID: one small row per delivered record, looked up by id only.
         "CREATE TABLE IF NOT EXISTS sync_delivered ("
         "  record_id TEXT PRIMARY KEY,"
         "  delivered_at TEXT NOT NULL"
         ") WITHOUT ROWID;";
}

void outbox_kind_migration(store::TransactionHandle& tx) {
  for (const char* table : {"sync_outbox", "sync_dead_letter"}) {
    if (tx.query_integer("SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = 'kind'", {std::string(table)}).value_or(0) > 0)
      continue;
    tx.execute(std::string("ALTER TABLE ") + table + " ADD COLUMN kind TEXT NOT NULL DEFAULT 'record'");
  }
}

void remove_in_transaction(store::TransactionHandle& tx, const std::string& record_id) {
  if (!tx.in_transaction()) throw std::logic_error("outbox: remove_in_transaction called outside a transaction");
  const bool maybe_at_head_office =
      tx.query_integer("SELECT EXISTS (SELECT 1 FROM sync_delivered WHERE record_id = ?1) "
                       "OR EXISTS (SELECT 1 FROM sync_outbox WHERE record_id = ?1 AND batch_id IS NOT NULL)",
                       {record_id}).value_or(0) != 0;
  tx.execute("DELETE FROM sync_outbox WHERE record_id = ?", {record_id});
  tx.execute("DELETE FROM sync_dead_letter WHERE record_id = ?", {record_id});
  if (!maybe_at_head_office) return;
  // A batch already sent keeps its id without this record; should the collector have stored it
  // from an earlier attempt, the tombstone (a later batch) removes it.
  tx.execute("INSERT INTO sync_outbox(record_id, created_at, enqueued_unix_ms, payload, image_path, kind) "
             "VALUES(?, ?, ?, '{}', '', 'tombstone') ON CONFLICT(record_id) DO NOTHING",
             {record_id, store::utc_now_iso8601(), unix_now_ms()});
}

void enqueue_in_transaction(store::TransactionHandle& tx, const OutboxItem& item) {
  if (!tx.in_transaction()) throw std::logic_error("outbox: enqueue_in_transaction called outside a transaction");
  tx.execute("INSERT INTO sync_outbox(record_id, created_at, enqueued_unix_ms, payload, image_path) "
             "VALUES(?, ?, ?, ?, ?) ON CONFLICT(record_id) DO NOTHING",
             {item.record_id, item.created_at, unix_now_ms(), item.payload_json, item.image_path});
}

Outbox::Outbox(const std::filesystem::path& database_file) {
  if (sqlite3_open_v2(database_file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("outbox: cannot open " + database_file.string() + ": " + message);
  }
  sqlite3_busy_timeout(db_, 10000);
  exec(db_, "PRAGMA journal_mode=WAL");
  exec(db_, "PRAGMA synchronous=NORMAL");
  // Also here (idempotent) so that `sync status` etc. work on an archive that the current
  // serve has not opened yet; the archive's versioned migrations record them as 1001 and 1002.
  exec(db_, outbox_migration_sql());
  exec(db_, outbox_dead_letter_migration_sql());
  store::sqlite::Handle handle(db_);
  outbox_kind_migration(handle);
}

Outbox::~Outbox() { sqlite3_close(db_); }

std::optional<Batch> Outbox::next_batch(int max_records, int64_t max_bytes,
                                        const std::function<int64_t(const std::string&)>& image_bytes) {
  if (max_records < 1) throw std::invalid_argument("batch size must be at least 1");
  Transaction tx(db_);
  Batch batch;
  {
    Statement st(db_, "SELECT batch_id FROM sync_outbox WHERE batch_id IS NOT NULL ORDER BY seq LIMIT 1");
    if (st.step()) batch.batch_id = st.text(0);
  }
  if (batch.batch_id.empty()) {
    // Choose the rows: oldest first, up to max_records and max_bytes.
    int64_t last_seq = -1;
    {
      Statement st(db_, "SELECT seq, length(payload), image_path FROM sync_outbox WHERE batch_id IS NULL "
                        "ORDER BY seq LIMIT ?");
      st.bind(1, static_cast<int64_t>(max_records));
      int64_t bytes = 0;
      while (st.step()) {
        int64_t size = st.integer(1);
        std::string image = st.text(2);
        if (image_bytes && !image.empty()) size += image_bytes(image);
        if (last_seq >= 0 && max_bytes > 0 && bytes + size > max_bytes) break;
        bytes += size;
        last_seq = st.integer(0);
      }
    }
    if (last_seq < 0) return std::nullopt;
    batch.batch_id = common::new_uuid_v4();
    Statement st(db_, "UPDATE sync_outbox SET batch_id = ? WHERE batch_id IS NULL AND seq <= ?");
    st.bind(1, batch.batch_id);
    st.bind(2, last_seq);
    st.step();
  }
  {
    Statement st(db_, "SELECT record_id, created_at, payload, image_path, kind FROM sync_outbox "
                      "WHERE batch_id = ? ORDER BY seq");
    st.bind(1, batch.batch_id);
    while (st.step()) batch.records.push_back({st.text(0), st.text(1), st.text(2), st.text(3), st.text(4) == "tombstone"});
  }
  tx.commit();
  return batch;
}

void Outbox::acknowledge(const std::string& batch_id) {
  Transaction tx(db_);
  store::sqlite::Handle sql(db_);
  const int64_t record_count =
      sql.query_integer("SELECT COUNT(*) FROM sync_outbox WHERE batch_id = ? AND kind = 'record'", {batch_id})
          .value_or(0);
  sql.execute("INSERT OR IGNORE INTO sync_delivered(record_id, delivered_at) "
              "SELECT record_id, ? FROM sync_outbox WHERE batch_id = ? AND kind = 'record'",
              {store::utc_now_iso8601(), batch_id});
  sql.execute("DELETE FROM sync_outbox WHERE batch_id = ?", {batch_id});
  int64_t now = unix_now_ms();
  set_state(db_, "last_success_unix_ms", std::to_string(now));
  set_state(db_, "last_attempt_unix_ms", std::to_string(now));
  set_state(db_, "last_error", "");
  sql.execute("INSERT INTO sync_state(key, value) VALUES('delivered_total', ?) "
              "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER)",
              {std::to_string(record_count)});
  tx.commit();
}

void Outbox::record_failure(const std::string& message) {
  Transaction tx(db_);
  int64_t now = unix_now_ms();
  set_state(db_, "last_error", message);
  set_state(db_, "last_error_unix_ms", std::to_string(now));
  set_state(db_, "last_attempt_unix_ms", std::to_string(now));
  tx.commit();
}

OutboxStatus Outbox::status() {
  OutboxStatus status;
  {
    Statement st(db_, "SELECT COUNT(*), MIN(enqueued_unix_ms) FROM sync_outbox");
    if (st.step()) {
      status.pending = st.integer(0);
      if (!st.is_null(1)) status.oldest_pending_unix_ms = st.integer(1);
    }
  }
  {
    Statement st(db_, "SELECT COUNT(*) FROM sync_dead_letter");
    if (st.step()) status.dead_letter = st.integer(0);
  }
  Statement st(db_, "SELECT key, value FROM sync_state");
  while (st.step()) {
    std::string key = st.text(0);
    std::string value = st.text(1);
    auto number = [&]() -> std::optional<int64_t> {
      if (value.empty()) return std::nullopt;
      return std::stoll(value);
    };
    if (key == "last_success_unix_ms") status.last_success_unix_ms = number();
    if (key == "last_attempt_unix_ms") status.last_attempt_unix_ms = number();
    if (key == "last_error_unix_ms") status.last_error_unix_ms = number();
    if (key == "last_error") status.last_error = value;
    if (key == "delivered_total") status.delivered_total = number().value_or(0);
  }
  return status;
}

int64_t Outbox::split_batch(const std::string& batch_id) {
  Transaction tx(db_);
  int64_t rows = 0;
  {
    Statement st(db_, "SELECT COUNT(*) FROM sync_outbox WHERE batch_id = ?");
    st.bind(1, batch_id);
    if (st.step()) rows = st.integer(0);
  }
  if (rows < 2) return 0;
  const int64_t keep = (rows + 1) / 2;
  // Rows after the first `keep` (by seq) lose their batch id: next_batch will put them in new
  // batches once the kept half is through. The collector dedups by record id, so nothing can
  // arrive twice even if an earlier attempt of the whole batch was stored.
  Statement release(db_, "UPDATE sync_outbox SET batch_id = NULL WHERE batch_id = ?1 AND seq > "
                         "(SELECT seq FROM sync_outbox WHERE batch_id = ?1 ORDER BY seq LIMIT 1 OFFSET ?2)");
  release.bind(1, batch_id);
  release.bind(2, keep - 1);
  release.step();
  const int64_t released = sqlite3_changes(db_);
  tx.commit();
  return released;
}

int64_t Outbox::dead_letter_batch(const std::string& batch_id, int http_status, const std::string& error) {
  Transaction tx(db_);
  store::sqlite::Handle sql(db_);
  // OR REPLACE: should the same record id ever be refused again, keep its latest refusal rather
  // than failing (a failure here would block the outbox again).
  sql.execute("INSERT OR REPLACE INTO sync_dead_letter(record_id, created_at, payload_json, image_path, "
              "http_status, error, failed_at, kind) "
              "SELECT record_id, created_at, payload, image_path, ?, ?, ?, kind FROM sync_outbox "
              "WHERE batch_id = ? ORDER BY seq",
              {static_cast<int64_t>(http_status), error, store::utc_now_iso8601(), batch_id});
  sql.execute("DELETE FROM sync_outbox WHERE batch_id = ?", {batch_id});
  const int64_t moved = sqlite3_changes(db_);
  tx.commit();
  return moved;
}

std::string Outbox::rename_batch(const std::string& batch_id) {
  // One UPDATE: readers see either every row under the old id or every row under the new one.
  std::string fresh = common::new_uuid_v4();
  Statement st(db_, "UPDATE sync_outbox SET batch_id = ? WHERE batch_id = ?");
  st.bind(1, fresh);
  st.bind(2, batch_id);
  st.step();
  if (sqlite3_changes(db_) == 0) throw std::runtime_error("outbox: no batch " + batch_id + " to rename");
  return fresh;
}

int64_t Outbox::requeue_dead_letters() {
  Transaction tx(db_);
  {
    // OR IGNORE: a record that is somehow in the outbox again already will be sent from there.
    Statement move(db_, "INSERT OR IGNORE INTO sync_outbox(record_id, created_at, enqueued_unix_ms, payload, "
                        "image_path, kind) "
                        "SELECT record_id, created_at, ?, payload_json, image_path, kind FROM sync_dead_letter "
                        "ORDER BY failed_at, record_id");
    move.bind(1, unix_now_ms());
    move.step();
  }
  Statement del(db_, "DELETE FROM sync_dead_letter");
  del.step();
  const int64_t moved = sqlite3_changes(db_);
  tx.commit();
  return moved;
}

int64_t Outbox::backfill(const std::string& since, const std::function<OutboxItem(const store::Record&)>& to_item) {
  constexpr int64_t kChunk = 500;  // records per transaction: bounded memory, short write locks
  int64_t enqueued = 0;
  int64_t after_seq = 0;
  for (;;) {
    Transaction tx(db_);
    std::vector<store::Record> chunk;
    {
      Statement st(db_, std::string("SELECT ") + store::sqlite::kRecordColumns +
                            " FROM records r WHERE r.seq > ? AND r.created_at >= ? "
                        "AND NOT EXISTS (SELECT 1 FROM sync_outbox o WHERE o.record_id = r.id) "
                        "AND NOT EXISTS (SELECT 1 FROM sync_dead_letter d WHERE d.record_id = r.id) "
                        "AND NOT EXISTS (SELECT 1 FROM sync_delivered s WHERE s.record_id = r.id) "
                        "ORDER BY r.seq LIMIT ?");
      st.bind(1, after_seq);
      st.bind(2, since);
      st.bind(3, kChunk);
      while (st.step()) chunk.push_back(store::sqlite::read_record(st));
    }
    if (chunk.empty()) return enqueued;
    store::sqlite::Handle handle(db_);
    for (const store::Record& record : chunk) {
      enqueue_in_transaction(handle, to_item(record));
      enqueued += sqlite3_changes(db_);
    }
    after_seq = chunk.back().seq;
    tx.commit();
  }
}

}  // namespace edgeocr::sync
