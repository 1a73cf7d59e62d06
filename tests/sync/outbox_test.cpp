#include "sync/outbox.h"

#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "process_util.h"

namespace edgeocr::sync {
namespace {

struct Db {
  explicit Db(const std::filesystem::path& path) {
    sqlite3_open(path.c_str(), &handle);
    sqlite3_exec(handle, outbox_migration_sql(), nullptr, nullptr, nullptr);
    sqlite3_exec(handle, "CREATE TABLE records(id TEXT PRIMARY KEY)", nullptr, nullptr, nullptr);
  }
  ~Db() { sqlite3_close(handle); }
  void exec(const std::string& sql) { ASSERT_EQ(sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql; }
  sqlite3* handle = nullptr;
};

OutboxItem item(int n) { return {"rec-" + std::to_string(n), "2026-11-25T10:00:00Z", "{\"n\":" + std::to_string(n) + "}", ""}; }

TEST(SyncOutbox, EnqueueRequiresTheRecordTransactionAndRollsBackWithIt) {
  testing::TempDir dir;
  Db db(dir.path() / "archive.db");
  EXPECT_THROW(enqueue_in_transaction(db.handle, item(1)), std::logic_error);
  db.exec("BEGIN");
  db.exec("INSERT INTO records VALUES('rec-1')");
  enqueue_in_transaction(db.handle, item(1));
  db.exec("ROLLBACK");
  Outbox outbox(dir.path() / "archive.db");
  EXPECT_EQ(outbox.status().pending, 0) << "a rolled-back record must leave no outbox row";
  db.exec("BEGIN");
  enqueue_in_transaction(db.handle, item(2));
  db.exec("COMMIT");
  EXPECT_EQ(outbox.status().pending, 1);
}

TEST(SyncOutbox, BatchKeepsItsIdUntilAcknowledged) {
  testing::TempDir dir;
  Db db(dir.path() / "archive.db");
  db.exec("BEGIN");
  for (int i = 0; i < 7; ++i) enqueue_in_transaction(db.handle, item(i));
  db.exec("COMMIT");
  Outbox outbox(dir.path() / "archive.db");
  auto first = outbox.next_batch(3);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->records.size(), 3u);
  EXPECT_EQ(first->records[0].record_id, "rec-0");
  // Not acknowledged (e.g. crash or collector down): the same batch id and rows come back.
  auto again = Outbox(dir.path() / "archive.db").next_batch(5);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->batch_id, first->batch_id);
  EXPECT_EQ(again->records.size(), 3u);
  outbox.record_failure("collector down");
  EXPECT_EQ(outbox.status().last_error, "collector down");
  outbox.acknowledge(first->batch_id, 3);
  OutboxStatus status = outbox.status();
  EXPECT_EQ(status.pending, 4);
  EXPECT_TRUE(status.last_error.empty());
  EXPECT_TRUE(status.last_success_unix_ms);
  EXPECT_EQ(status.delivered_total, 3);
  auto second = outbox.next_batch(3);
  ASSERT_TRUE(second);
  EXPECT_NE(second->batch_id, first->batch_id);
  EXPECT_EQ(second->records[0].record_id, "rec-3");
  outbox.acknowledge(second->batch_id, 3);
  auto third = outbox.next_batch(3);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->records.size(), 1u);
  outbox.acknowledge(third->batch_id, 1);
  EXPECT_FALSE(outbox.next_batch(3));
  EXPECT_EQ(outbox.status().pending, 0);
  EXPECT_FALSE(outbox.status().oldest_pending_unix_ms);
}

}  // namespace
}  // namespace edgeocr::sync

// The real archive insert path with the outbox hook: record and outbox row commit together.
#include "store/archive.h"
#include "sync/archive_link.h"

namespace edgeocr::sync {
namespace {

TEST(SyncOutbox, ArchiveInsertWritesTheOutboxRowInTheSameTransaction) {
  testing::TempDir dir;
  store::ArchiveOptions options;
  options.data_dir = dir.path();
  add_outbox_to(options);
  bool fail_after_outbox = false;
  options.insert_hooks.push_back([&](sqlite3*, const store::Record&) {
    if (fail_after_outbox) throw std::runtime_error("injected failure after the outbox row");
  });
  store::Archive archive(options);
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(archive_database_file(dir.path()).c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> close(raw, sqlite3_close);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(raw, "SELECT COUNT(*) FROM schema_version WHERE version = 1001", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), 1) << "the outbox migration is recorded in the archive's schema_version";
    sqlite3_finalize(st);
  }

  store::NewRecord record;
  record.result_json = R"({"text":"hello","lines":[]})";
  record.fields_json = R"({"total":"9.99"})";
  record.text = "hello";
  store::Record stored = archive.insert(record);

  Outbox outbox(archive_database_file(dir.path()));
  EXPECT_EQ(outbox.status().pending, 1);
  auto batch = outbox.next_batch(10);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->records.size(), 1u);
  EXPECT_EQ(batch->records[0].record_id, stored.id);
  EXPECT_EQ(batch->records[0].created_at, stored.created_at);
  auto payload = nlohmann::json::parse(batch->records[0].payload_json);
  EXPECT_EQ(payload["result"]["text"], "hello");
  EXPECT_EQ(payload["fields"]["total"], "9.99");

  // A failure later in the same transaction takes both the record and its outbox row back.
  fail_after_outbox = true;
  EXPECT_ANY_THROW(archive.insert(record));
  EXPECT_EQ(archive.count(), 1);
  EXPECT_EQ(outbox.status().pending, 1);
}

}  // namespace
}  // namespace edgeocr::sync
