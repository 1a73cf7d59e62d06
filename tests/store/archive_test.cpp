#include "store/archive.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "common/sha256.h"

namespace fs = std::filesystem;
using edgeocr::store::Archive;
using edgeocr::store::ArchiveOptions;
using edgeocr::store::ListQuery;
using edgeocr::store::NewRecord;

namespace {

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("edgeocr-store-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

NewRecord record_with(const std::vector<uint8_t>& image, const std::string& text) {
  NewRecord r;
  r.image = image;
  r.image_ext = "jpg";
  r.result_json = R"({"text":")" + text + "\"}";
  r.text = text;
  return r;
}

ArchiveOptions options_at(const std::filesystem::path& dir) {
  ArchiveOptions options;
  options.data_dir = dir;
  return options;
}

}  // namespace

TEST(Archive, InsertGetAndStoreImageUnderItsHash) {
  TempDir dir;
  Archive archive(options_at(dir.path()));
  const auto image = bytes("fake jpeg bytes");
  const auto rec = archive.insert(record_with(image, "TOTAL 36.80"));
  EXPECT_EQ(rec.id.size(), 36u);
  EXPECT_EQ(rec.id[14], '4');  // UUID v4
  EXPECT_EQ(rec.image_sha256, edgeocr::common::sha256_hex(std::string_view(reinterpret_cast<const char*>(image.data()), image.size())));
  const fs::path file = archive.image_path(rec);
  EXPECT_EQ(file, dir.path() / "images" / rec.image_sha256.substr(0, 2) / (rec.image_sha256 + ".jpg"));
  std::ifstream in(file, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "fake jpeg bytes");
  const auto loaded = archive.get(rec.id);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->text, "TOTAL 36.80");
  EXPECT_EQ(loaded->result_json, rec.result_json);
  EXPECT_EQ(loaded->created_at, rec.created_at);
  EXPECT_FALSE(archive.get("no-such-id"));
  EXPECT_EQ(archive.schema_version(), 1);
}

TEST(Archive, DeduplicatesImagesAndDeletesOnlyWhenUnreferenced) {
  TempDir dir;
  Archive archive(options_at(dir.path()));
  const auto image = bytes("same image");
  const auto a = archive.insert(record_with(image, "a"));
  const auto b = archive.insert(record_with(image, "b"));
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(a.image_sha256, b.image_sha256);
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir.path() / "images"))
    if (e.is_regular_file()) ++files;
  EXPECT_EQ(files, 1u);
  EXPECT_TRUE(archive.remove(a.id));
  EXPECT_TRUE(fs::exists(archive.image_path(b)));  // still used by b
  EXPECT_TRUE(archive.remove(b.id));
  EXPECT_FALSE(fs::exists(archive.image_path(b)));
  EXPECT_FALSE(archive.remove(b.id));
  EXPECT_EQ(archive.count(), 0);
}

TEST(Archive, ListsNewestFirstWithOffsetCursorSearchAndDates) {
  TempDir dir;
  Archive archive(options_at(dir.path()));
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(archive.insert(record_with({}, i % 2 ? "odd receipt" : "even 100%")).id);
  ListQuery q;
  q.limit = 3;
  auto page1 = archive.list(q);
  EXPECT_EQ(page1.total, 7);
  ASSERT_EQ(page1.records.size(), 3u);
  EXPECT_EQ(page1.records[0].id, ids[6]);
  ASSERT_FALSE(page1.next_cursor.empty());
  q.cursor = page1.next_cursor;
  auto page2 = archive.list(q);
  ASSERT_EQ(page2.records.size(), 3u);
  EXPECT_EQ(page2.records[0].id, ids[3]);
  q.cursor = page2.next_cursor;
  auto page3 = archive.list(q);
  ASSERT_EQ(page3.records.size(), 1u);
  EXPECT_EQ(page3.records[0].id, ids[0]);
  EXPECT_TRUE(page3.next_cursor.empty());

  ListQuery by_offset;
  by_offset.limit = 2;
  by_offset.offset = 5;
  auto tail = archive.list(by_offset);
  ASSERT_EQ(tail.records.size(), 2u);
  EXPECT_EQ(tail.records[1].id, ids[0]);

  ListQuery search;
  search.text_query = "ODD";
  EXPECT_EQ(archive.list(search).total, 3);
  search.text_query = "100%";  // LIKE wildcards are literal
  EXPECT_EQ(archive.list(search).total, 4);
  search.text_query = "0%";
  EXPECT_EQ(archive.list(search).total, 4);
  search.text_query = "%";
  EXPECT_EQ(archive.list(search).total, 4);

  ListQuery dates;
  dates.from = "2000-01-01";
  dates.to = "2000-12-31";
  EXPECT_EQ(archive.list(dates).total, 0);
  dates.to = "2999-01-01";
  EXPECT_EQ(archive.list(dates).total, 7);
  dates.from = "nonsense";
  EXPECT_THROW(archive.list(dates), std::invalid_argument);
  ListQuery bad;
  bad.cursor = "abc";
  EXPECT_THROW(archive.list(bad), std::invalid_argument);
  bad = {};
  bad.limit = 0;
  EXPECT_THROW(archive.list(bad), std::invalid_argument);
}

TEST(Archive, CsvExportQuotesFields) {
  TempDir dir;
  Archive archive(options_at(dir.path()));
  archive.insert(record_with({}, "say \"hi\", ok"));
  std::ostringstream out;
  archive.write_csv(out, {});
  const std::string csv = out.str();
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBFid,created_at,image_sha256,text\r\n", 0), 0u);  // no fields: no field columns
  EXPECT_NE(csv.find("\"say \"\"hi\"\", ok\""), std::string::npos);
}

TEST(Archive, ReopenKeepsRecordsAndRunsMigrationsOnce) {
  TempDir dir;
  std::string id;
  {
    Archive archive(options_at(dir.path()));
    id = archive.insert(record_with(bytes("x"), "kept")).id;
  }
  Archive again(options_at(dir.path()));
  EXPECT_TRUE(again.get(id));
  EXPECT_EQ(again.count(), 1);
  EXPECT_EQ(again.schema_version(), 1);
}

TEST(Archive, InsertHookRunsInTheSameTransaction) {
  TempDir dir;
  ArchiveOptions options{dir.path(), {{1000, "CREATE TABLE outbox_test (record_id TEXT NOT NULL)"}}, {}, {}, {}};
  bool fail_next = false;
  options.insert_hooks.push_back([&](edgeocr::store::TransactionHandle& tx, const edgeocr::store::Record& r) {
    ASSERT_TRUE(tx.in_transaction());
    tx.execute("INSERT INTO outbox_test VALUES (?)", {r.id});
    EXPECT_EQ(tx.query_integer("SELECT COUNT(*) FROM records WHERE id = ?", {r.id}), 1);  // the record row is written
    if (fail_next) throw std::runtime_error("hook failed");
  });
  Archive archive(options);
  archive.insert(record_with({}, "one"));
  fail_next = true;
  EXPECT_THROW(archive.insert(record_with({}, "two")), std::runtime_error);
  EXPECT_EQ(archive.count(), 1);  // the failed insert rolled back the record as well
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Archive::database_file(dir.path()).c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM outbox_test", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_THROW(Archive(ArchiveOptions{dir.path(), {{5, "SELECT 1"}}, {}, {}, {}}), edgeocr::store::StoreError);
}

namespace {

// Moves a record's creation time back by `days` (the archive stamps records with the current time).
void age_record(const std::filesystem::path& data_dir, const std::string& id, int days) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Archive::database_file(data_dir).c_str(), &db), SQLITE_OK);
  const std::string sql = "UPDATE records SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-" +
                          std::to_string(days) + " days') WHERE id = '" + id + "'";
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace

TEST(Archive, RemoveHooksRunInTheDeletionTransaction) {
  TempDir dir;
  ArchiveOptions options = options_at(dir.path());
  std::vector<std::string> removed;
  bool fail = true;
  options.remove_hooks.push_back([&](edgeocr::store::TransactionHandle& tx, const edgeocr::store::Record& r) {
    EXPECT_TRUE(tx.in_transaction());
    EXPECT_EQ(tx.query_integer("SELECT COUNT(*) FROM records WHERE id = ?", {r.id}), 0);  // the row is gone
    if (fail) throw std::runtime_error("hook failed");
    removed.push_back(r.id + " " + r.text);
  });
  Archive archive(options);
  const auto rec = archive.insert(record_with(bytes("img"), "TOTAL 1.00"));
  EXPECT_THROW(archive.remove(rec.id), std::runtime_error);
  EXPECT_TRUE(archive.get(rec.id).has_value());  // rolled back with the hook
  fail = false;
  EXPECT_TRUE(archive.remove(rec.id));
  EXPECT_FALSE(archive.get(rec.id).has_value());
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0], rec.id + " TOTAL 1.00");
}

TEST(Archive, PruneDropsOldImagesAndRecordsButKeepsHeldOnes) {
  TempDir dir;
  ArchiveOptions options = options_at(dir.path());
  options.extra_migrations.push_back({1000, "CREATE TABLE held (record_id TEXT PRIMARY KEY)"});
  options.retention_holds.push_back("EXISTS (SELECT 1 FROM held h WHERE h.record_id = records.id)");
  Archive archive(options);
  const auto fresh = archive.insert(record_with(bytes("fresh image"), "fresh"));
  const auto week = archive.insert(record_with(bytes("week image"), "week"));
  const auto old = archive.insert(record_with(bytes("old image"), "old"));
  const auto old_held = archive.insert(record_with(bytes("held image"), "held"));
  age_record(dir.path(), week.id, 8);
  age_record(dir.path(), old.id, 40);
  age_record(dir.path(), old_held.id, 40);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(Archive::database_file(dir.path()).c_str(), &db), SQLITE_OK);
    const std::string sql = "INSERT INTO held VALUES ('" + old_held.id + "')";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  const auto week_image = archive.image_path(*archive.get(week.id));
  const auto old_image = archive.image_path(*archive.get(old.id));
  EXPECT_EQ(archive.prune({}).records_removed, 0);  // default: keep everything
  const auto result = archive.prune({/*images_days=*/7, /*records_days=*/30});
  EXPECT_EQ(result.records_removed, 1);
  EXPECT_EQ(result.images_cleared, 1);
  EXPECT_EQ(result.files_removed, 2);
  EXPECT_FALSE(archive.get(old.id).has_value());
  EXPECT_FALSE(std::filesystem::exists(old_image));
  ASSERT_TRUE(archive.get(week.id).has_value());
  EXPECT_EQ(archive.get(week.id)->text, "week");
  EXPECT_TRUE(archive.image_path(*archive.get(week.id)).empty());
  EXPECT_FALSE(std::filesystem::exists(week_image));
  ASSERT_TRUE(archive.get(old_held.id).has_value());  // held: record and image stay
  EXPECT_TRUE(std::filesystem::exists(archive.image_path(*archive.get(old_held.id))));
  EXPECT_TRUE(std::filesystem::exists(archive.image_path(*archive.get(fresh.id))));
}

TEST(Archive, CsvForSpreadsheetsHasBomFieldColumnsAndNoFormulas) {
  TempDir dir;
  ArchiveOptions options;
  options.data_dir = dir.path();
  Archive archive(options);
  // NewRecord::image is a view: the bytes must outlive the insert.
  const auto image_a = bytes("img-a"), image_b = bytes("img-b"), image_c = bytes("img-c");
  NewRecord receipt = record_with(image_a, "超市 =SUM(A1)");
  receipt.fields_json = R"({"company":"=cmd|' /C calc'!A0","total":"36.80","date":null})";
  archive.insert(receipt);
  NewRecord other = record_with(image_b, "@SUM plain");
  other.fields_json = R"({"total":"-5.00","发票号码":"+12"})";
  archive.insert(other);
  archive.insert(record_with(image_c, "no fields"));
  std::ostringstream out;
  archive.write_csv(out, {});
  const std::string csv = out.str();
  ASSERT_EQ(csv.rfind("\xEF\xBB\xBF", 0), 0u) << "no UTF-8 byte-order mark";
  std::vector<std::string> lines;
  std::istringstream in(csv.substr(3));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << csv;
  // Newest first; one column per field name seen in the export.
  EXPECT_EQ(lines[0], "id,created_at,image_sha256,text,\"total\",\"发票号码\",\"company\",\"date\"\r");
  EXPECT_NE(lines[1].find(",\"no fields\",\"\",\"\",\"\",\"\"\r"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find(",\"'@SUM plain\",\"'-5.00\",\"'+12\",\"\",\"\"\r"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find(",\"超市 =SUM(A1)\",\"36.80\",\"\",\"'=cmd|' /C calc'!A0\",\"\"\r"), std::string::npos) << lines[3];
}
