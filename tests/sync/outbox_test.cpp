#include "sync/outbox.h"

#include <memory>
#include <optional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "process_util.h"
#include "store/sqlite.h"

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
  // The store's handle on this connection, as the archive hands it to its hooks.
  store::sqlite::Handle& tx() { return tx_.emplace(handle); }
  sqlite3* handle = nullptr;

 private:
  std::optional<store::sqlite::Handle> tx_;
};

OutboxItem item(int n) { return {"rec-" + std::to_string(n), "2026-11-25T10:00:00Z", "{\"n\":" + std::to_string(n) + "}", ""}; }

TEST(SyncOutbox, EnqueueRequiresTheRecordTransactionAndRollsBackWithIt) {
  testing::TempDir dir;
  Db db(dir.path() / "archive.db");
  EXPECT_THROW(enqueue_in_transaction(db.tx(), item(1)), std::logic_error);
  db.exec("BEGIN");
  db.exec("INSERT INTO records VALUES('rec-1')");
  enqueue_in_transaction(db.tx(), item(1));
  db.exec("ROLLBACK");
  Outbox outbox(dir.path() / "archive.db");
  EXPECT_EQ(outbox.status().pending, 0) << "a rolled-back record must leave no outbox row";
  db.exec("BEGIN");
  enqueue_in_transaction(db.tx(), item(2));
  db.exec("COMMIT");
  EXPECT_EQ(outbox.status().pending, 1);
}

TEST(SyncOutbox, BatchKeepsItsIdUntilAcknowledged) {
  testing::TempDir dir;
  Db db(dir.path() / "archive.db");
  db.exec("BEGIN");
  for (int i = 0; i < 7; ++i) enqueue_in_transaction(db.tx(), item(i));
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
  outbox.acknowledge(first->batch_id);
  OutboxStatus status = outbox.status();
  EXPECT_EQ(status.pending, 4);
  EXPECT_TRUE(status.last_error.empty());
  EXPECT_TRUE(status.last_success_unix_ms);
  EXPECT_EQ(status.delivered_total, 3);
  auto second = outbox.next_batch(3);
  ASSERT_TRUE(second);
  EXPECT_NE(second->batch_id, first->batch_id);
  EXPECT_EQ(second->records[0].record_id, "rec-3");
  outbox.acknowledge(second->batch_id);
  auto third = outbox.next_batch(3);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->records.size(), 1u);
  outbox.acknowledge(third->batch_id);
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
  options.insert_hooks.push_back([&](store::TransactionHandle&, const store::Record&) {
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

// Refusal handling (split, dead letter, rename, requeue) and backfill, at the outbox level.
namespace edgeocr::sync {
namespace {

struct Rows {
  // Runs `sql` on its own connection and returns the rows as text ("<null>" for NULL).
  static std::vector<std::vector<std::string>> query(const std::filesystem::path& db_file, const std::string& sql) {
    sqlite3* raw = nullptr;
    if (sqlite3_open(db_file.c_str(), &raw) != SQLITE_OK) throw std::runtime_error("open");
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> close(raw, sqlite3_close);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(raw) + ": " + sql);
    }
    std::vector<std::vector<std::string>> rows;
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        auto* text = sqlite3_column_text(st, c);
        row.push_back(text ? reinterpret_cast<const char*>(text) : "<null>");
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(st);
    return rows;
  }
  static std::string value(const std::filesystem::path& db_file, const std::string& sql) {
    auto rows = query(db_file, sql);
    if (rows.size() != 1 || rows[0].size() != 1) throw std::runtime_error("not one value: " + sql);
    return rows[0][0];
  }
};

class OutboxRefusals : public ::testing::Test {
 protected:
  void SetUp() override {
    db_file_ = dir_.path() / "archive.db";
    db_ = std::make_unique<Db>(db_file_);
    db_->exec("BEGIN");
    for (int i = 0; i < 7; ++i) enqueue_in_transaction(db_->tx(), item(i));
    db_->exec("COMMIT");
    outbox_ = std::make_unique<Outbox>(db_file_);
  }
  std::string value(const std::string& sql) { return Rows::value(db_file_, sql); }
  std::vector<std::string> ids(const Batch& batch) {
    std::vector<std::string> out;
    for (const auto& r : batch.records) out.push_back(r.record_id);
    return out;
  }

  testing::TempDir dir_;
  std::filesystem::path db_file_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<Outbox> outbox_;
};

TEST_F(OutboxRefusals, SplitKeepsTheOldestHalfUnderTheBatchIdAndReleasesTheRest) {
  auto batch = outbox_->next_batch(5);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->records.size(), 5u);
  EXPECT_EQ(outbox_->split_batch(batch->batch_id), 2);
  auto kept = outbox_->next_batch(10);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->batch_id, batch->batch_id) << "the kept half is re-sent under the same batch id";
  EXPECT_EQ(ids(*kept), (std::vector<std::string>{"rec-0", "rec-1", "rec-2"}));
  EXPECT_EQ(value("SELECT COUNT(*) FROM sync_outbox WHERE batch_id IS NULL"), "4");
  // A one-record batch cannot be split.
  outbox_->acknowledge(kept->batch_id);
  auto rest = outbox_->next_batch(10);
  ASSERT_TRUE(rest);
  EXPECT_NE(rest->batch_id, batch->batch_id);
  EXPECT_EQ(ids(*rest), (std::vector<std::string>{"rec-3", "rec-4", "rec-5", "rec-6"}));
  EXPECT_EQ(outbox_->split_batch(rest->batch_id), 2);
  EXPECT_EQ(outbox_->split_batch(rest->batch_id), 1);
  EXPECT_EQ(outbox_->split_batch(rest->batch_id), 0);
  auto single = outbox_->next_batch(10);
  ASSERT_TRUE(single);
  EXPECT_EQ(ids(*single), (std::vector<std::string>{"rec-3"}));
  EXPECT_EQ(outbox_->status().pending, 4) << "splitting never loses or duplicates a record";
}

TEST_F(OutboxRefusals, DeadLetterMovesTheRecordInOneTransactionAndKeepsAllOfIt) {
  auto batch = outbox_->next_batch(1);
  ASSERT_TRUE(batch);
  ASSERT_EQ(ids(*batch), (std::vector<std::string>{"rec-0"}));
  // A failure half-way (the outbox DELETE) must leave no dead-letter copy behind.
  db_->exec("CREATE TRIGGER fail_delete BEFORE DELETE ON sync_outbox BEGIN SELECT RAISE(ABORT, 'injected'); END");
  EXPECT_THROW(outbox_->dead_letter_batch(batch->batch_id, 413, "too large"), std::runtime_error);
  EXPECT_EQ(value("SELECT COUNT(*) FROM sync_dead_letter"), "0");
  EXPECT_EQ(value("SELECT COUNT(*) FROM sync_outbox WHERE batch_id = '" + batch->batch_id + "'"), "1");
  db_->exec("DROP TRIGGER fail_delete");

  EXPECT_EQ(outbox_->dead_letter_batch(batch->batch_id, 413, "collector refused batch with HTTP 413"), 1);
  OutboxStatus status = outbox_->status();
  EXPECT_EQ(status.pending, 6);
  EXPECT_EQ(status.dead_letter, 1);
  auto rows = Rows::query(db_file_, "SELECT record_id, created_at, payload_json, image_path, http_status, error, "
                                    "failed_at FROM sync_dead_letter");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "rec-0");
  EXPECT_EQ(rows[0][1], "2026-11-25T10:00:00Z");
  EXPECT_EQ(rows[0][2], "{\"n\":0}");
  EXPECT_EQ(rows[0][3], "");
  EXPECT_EQ(rows[0][4], "413");
  EXPECT_EQ(rows[0][5], "collector refused batch with HTTP 413");
  EXPECT_EQ(rows[0][6].size(), 24u) << "ISO 8601 UTC with milliseconds: " << rows[0][6];
  // The next batch starts behind the dead-lettered record.
  auto next = outbox_->next_batch(10);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->records.front().record_id, "rec-1");
}

TEST_F(OutboxRefusals, RequeueMovesDeadLettersBackAtomically) {
  for (int i = 0; i < 2; ++i) {
    auto batch = outbox_->next_batch(1);
    ASSERT_TRUE(batch);
    ASSERT_EQ(outbox_->dead_letter_batch(batch->batch_id, 400, "malformed"), 1);
  }
  EXPECT_EQ(outbox_->status().dead_letter, 2);
  EXPECT_EQ(outbox_->status().pending, 5);
  db_->exec("CREATE TRIGGER fail_delete BEFORE DELETE ON sync_dead_letter BEGIN SELECT RAISE(ABORT, 'injected'); END");
  EXPECT_THROW(outbox_->requeue_dead_letters(), std::runtime_error);
  EXPECT_EQ(outbox_->status().pending, 5) << "a failed requeue must not leave copies in the outbox";
  EXPECT_EQ(outbox_->status().dead_letter, 2);
  db_->exec("DROP TRIGGER fail_delete");

  EXPECT_EQ(outbox_->requeue_dead_letters(), 2);
  EXPECT_EQ(outbox_->status().dead_letter, 0);
  EXPECT_EQ(outbox_->status().pending, 7);
  EXPECT_EQ(outbox_->requeue_dead_letters(), 0);
  // Requeued rows are unassigned and keep their payload.
  EXPECT_EQ(value("SELECT COUNT(*) FROM sync_outbox WHERE record_id IN ('rec-0', 'rec-1') AND batch_id IS NULL"), "2");
  EXPECT_EQ(value("SELECT payload FROM sync_outbox WHERE record_id = 'rec-1'"), "{\"n\":1}");
}

TEST_F(OutboxRefusals, RenameMovesEveryRowToAFreshIdOrNone) {
  auto batch = outbox_->next_batch(3);
  ASSERT_TRUE(batch);
  // A failure on the last row of the UPDATE must leave every row under the old id.
  db_->exec("CREATE TRIGGER fail_rename BEFORE UPDATE OF batch_id ON sync_outbox WHEN NEW.record_id = 'rec-2' "
            "BEGIN SELECT RAISE(ABORT, 'injected'); END");
  EXPECT_THROW(outbox_->rename_batch(batch->batch_id), std::runtime_error);
  EXPECT_EQ(value("SELECT COUNT(*) FROM sync_outbox WHERE batch_id = '" + batch->batch_id + "'"), "3");
  db_->exec("DROP TRIGGER fail_rename");

  std::string fresh = outbox_->rename_batch(batch->batch_id);
  EXPECT_NE(fresh, batch->batch_id);
  EXPECT_EQ(value("SELECT COUNT(*) FROM sync_outbox WHERE batch_id = '" + batch->batch_id + "'"), "0");
  auto again = outbox_->next_batch(10);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->batch_id, fresh);
  EXPECT_EQ(ids(*again), ids(*batch));
  EXPECT_THROW(outbox_->rename_batch(batch->batch_id), std::runtime_error) << "the old id is gone";
}

TEST_F(OutboxRefusals, AcknowledgeRemembersDeliveredIdsInTheSameTransaction) {
  auto batch = outbox_->next_batch(3);
  ASSERT_TRUE(batch);
  db_->exec("CREATE TRIGGER fail_delete BEFORE DELETE ON sync_outbox BEGIN SELECT RAISE(ABORT, 'injected'); END");
  EXPECT_THROW(outbox_->acknowledge(batch->batch_id), std::runtime_error);
  EXPECT_EQ(value("SELECT COUNT(*) FROM sync_delivered"), "0");
  db_->exec("DROP TRIGGER fail_delete");
  outbox_->acknowledge(batch->batch_id);
  EXPECT_EQ(value("SELECT group_concat(record_id, ',') FROM (SELECT record_id FROM sync_delivered ORDER BY record_id)"),
            "rec-0,rec-1,rec-2");
  EXPECT_EQ(value("SELECT COUNT(*) FROM sync_delivered WHERE delivered_at LIKE '20__-__-__T__:__:__.___Z'"), "3");
}

TEST_F(OutboxRefusals, DeletionDropsAPendingSendAndTombstonesWhatHeadOfficeMayHave) {
  auto delivered = outbox_->next_batch(2);  // rec-0, rec-1: acknowledged
  ASSERT_TRUE(delivered);
  outbox_->acknowledge(delivered->batch_id);
  auto in_flight = outbox_->next_batch(2);  // rec-2, rec-3: sent, no answer yet
  ASSERT_TRUE(in_flight);
  ASSERT_EQ(ids(*in_flight), (std::vector<std::string>{"rec-2", "rec-3"}));
  db_->exec("INSERT INTO sync_dead_letter(record_id, created_at, payload_json, http_status, error, failed_at) "
            "VALUES('rec-9', '2026-11-25T10:00:00Z', '{}', 413, 'too large', '2026-11-25T10:00:01Z')");

  EXPECT_THROW(remove_in_transaction(db_->tx(), "rec-5"), std::logic_error);
  db_->exec("BEGIN");
  for (const char* id : {"rec-0", "rec-2", "rec-5", "rec-9"}) remove_in_transaction(db_->tx(), id);
  db_->exec("COMMIT");

  // rec-5 (never sent) and rec-9 (dead-lettered, never stored) are simply gone; rec-0 (delivered)
  // and rec-2 (maybe stored from the batch in flight) get one tombstone each, outside that batch.
  EXPECT_EQ(value("SELECT COUNT(*) FROM sync_outbox WHERE record_id IN ('rec-5', 'rec-9')"), "0");
  EXPECT_EQ(value("SELECT COUNT(*) FROM sync_dead_letter"), "0");
  EXPECT_EQ(value("SELECT group_concat(record_id, ',') FROM (SELECT record_id FROM sync_outbox "
                  "WHERE kind = 'tombstone' AND batch_id IS NULL AND payload = '{}' ORDER BY seq)"),
            "rec-0,rec-2");
  auto rest_of_flight = outbox_->next_batch(10);
  ASSERT_TRUE(rest_of_flight);
  EXPECT_EQ(rest_of_flight->batch_id, in_flight->batch_id);
  EXPECT_EQ(ids(*rest_of_flight), (std::vector<std::string>{"rec-3"}));
  outbox_->acknowledge(rest_of_flight->batch_id);

  auto last = outbox_->next_batch(10);
  ASSERT_TRUE(last);
  EXPECT_EQ(ids(*last), (std::vector<std::string>{"rec-4", "rec-6", "rec-0", "rec-2"}));
  std::vector<bool> tombstones;
  for (const auto& r : last->records) tombstones.push_back(r.tombstone);
  EXPECT_EQ(tombstones, (std::vector<bool>{false, false, true, true}));
  outbox_->acknowledge(last->batch_id);
  // Delivered counts records, not deletions.
  EXPECT_EQ(outbox_->status().delivered_total, 5);
  EXPECT_EQ(outbox_->status().pending, 0);
  EXPECT_EQ(value("SELECT COUNT(*) FROM sync_delivered"), "5");
}

// Archive with records written while sync was not configured (no outbox hook).
std::vector<store::Record> archive_without_sync(const std::filesystem::path& data_dir, int count) {
  store::ArchiveOptions options;
  options.data_dir = data_dir;
  store::Archive archive(options);
  std::vector<store::Record> records;
  for (int i = 0; i < count; ++i) {
    store::NewRecord record;
    record.text = std::string("r").append(std::to_string(i));
    record.result_json = nlohmann::json({{"text", record.text}}).dump();
    records.push_back(archive.insert(record));
  }
  return records;
}

TEST(SyncBackfill, EnqueuesOnlyRecordsNeitherQueuedNorDeadLetteredNorDelivered) {
  testing::TempDir dir;
  auto records = archive_without_sync(dir.path(), 6);
  auto db_file = archive_database_file(dir.path());
  EXPECT_EQ(backfill_outbox(dir.path(), ""), 6);
  EXPECT_EQ(backfill_outbox(dir.path(), ""), 0) << "a second backfill enqueues nothing";
  Outbox outbox(db_file);
  EXPECT_EQ(outbox.status().pending, 6);
  // Oldest first, with the same payload as the live outbox hook would have written.
  auto batch = outbox.next_batch(3);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->records.size(), 3u);
  EXPECT_EQ(batch->records[0].record_id, records[0].id);
  EXPECT_EQ(batch->records[0].created_at, records[0].created_at);
  EXPECT_EQ(batch->records[0].payload_json, outbox_payload(records[0]));
  outbox.acknowledge(batch->batch_id);
  auto lone = outbox.next_batch(1);
  ASSERT_TRUE(lone);
  outbox.dead_letter_batch(lone->batch_id, 413, "too large");
  EXPECT_EQ(outbox.status().pending, 2);
  // Delivered (3), dead-lettered (1) and queued (2) records are all known: nothing to add.
  EXPECT_EQ(backfill_outbox(dir.path(), ""), 0);
  EXPECT_EQ(outbox.status().pending, 2);
  EXPECT_EQ(outbox.status().dead_letter, 1);

  // New records archived without sync, two of them "old": --since picks only the recent ones.
  auto more = archive_without_sync(dir.path(), 4);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_file.c_str(), &raw), SQLITE_OK);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> close(raw, sqlite3_close);
  std::string old_ids = "'" + more[0].id + "', '" + more[1].id + "'";
  ASSERT_EQ(sqlite3_exec(raw, ("UPDATE records SET created_at = '2020-03-01T10:00:00.000Z' WHERE id IN (" + old_ids + ")").c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(backfill_outbox(dir.path(), "2020-03-02"), 2);
  EXPECT_EQ(backfill_outbox(dir.path(), "2020-03-01"), 2) << "the day itself is included";
  EXPECT_EQ(backfill_outbox(dir.path(), ""), 0);
  EXPECT_EQ(outbox.status().pending, 6);
  EXPECT_THROW(backfill_outbox(dir.path(), "2020-3-1"), std::invalid_argument);
  EXPECT_THROW(backfill_outbox(dir.path(), "yesterday"), std::invalid_argument);
}

TEST(SyncBackfill, AnArchiveFromTheFirstOutboxVersionIsUpgradedInPlace) {
  testing::TempDir dir;
  std::string record_id;
  {
    // What an edge ran before dead letters existed: only migration 1001.
    store::ArchiveOptions options;
    options.data_dir = dir.path();
    options.extra_migrations.push_back({kOutboxMigrationVersion, outbox_migration_sql()});
    options.insert_hooks.push_back([](store::TransactionHandle& tx, const store::Record& record) {
      enqueue_in_transaction(tx, {record.id, record.created_at, outbox_payload(record), ""});
    });
    store::Archive archive(options);
    store::NewRecord record;
    record.result_json = "{}";
    record_id = archive.insert(record).id;
  }
  auto db_file = archive_database_file(dir.path());
  EXPECT_EQ(Rows::value(db_file, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sync_dead_letter'"), "0");
  {
    store::ArchiveOptions options;
    options.data_dir = dir.path();
    add_outbox_to(options);
    store::Archive archive(options);
  }
  EXPECT_EQ(Rows::value(db_file, "SELECT COUNT(*) FROM schema_version WHERE version IN (1001, 1002)"), "2");
  EXPECT_EQ(Rows::value(db_file, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('sync_dead_letter', 'sync_delivered')"),
            "2");
  Outbox outbox(db_file);
  EXPECT_EQ(outbox.status().pending, 1) << "the queued record survives the upgrade";
  EXPECT_EQ(outbox.status().dead_letter, 0);
  auto batch = outbox.next_batch(10);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->records.at(0).record_id, record_id);
}

}  // namespace
}  // namespace edgeocr::sync
