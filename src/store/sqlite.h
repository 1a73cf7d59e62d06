// The SQLite pieces the store and the sync outbox share: a prepared statement that finalizes
// itself, exec, and a BEGIN IMMEDIATE transaction rolled back unless committed. Errors are
// StoreError with SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "store/archive.h"

namespace edgeocr::store::sqlite {

[[noreturn]] void fail(sqlite3* db, const std::string& what);

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql);
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int index, const std::string& text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void bind(int index, const TransactionHandle::Value& value) {
    std::visit([&](const auto& v) { bind(index, v); }, value);
  }
  bool step();  // true while there is a row
  std::string text(int column);
  int64_t integer(int column) { return sqlite3_column_int64(stmt_, column); }
  bool is_null(int column) { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const std::string& sql);

// BEGIN IMMEDIATE ... COMMIT, rolled back when an exception leaves the scope.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { exec(db_, "BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    exec(db_, "COMMIT");
    committed_ = true;
  }

 private:
  sqlite3* db_;
  bool committed_ = false;
};

// The store's TransactionHandle over a connection (the archive's, or sync's own on the same file).
class Handle : public TransactionHandle {
 public:
  explicit Handle(sqlite3* db) : db_(db) {}
  void execute(const std::string& sql, const std::vector<Value>& params = {}) override;
  std::optional<int64_t> query_integer(const std::string& sql, const std::vector<Value>& params = {}) override;
  bool in_transaction() const override { return sqlite3_get_autocommit(db_) == 0; }

 private:
  sqlite3* db_;
};

// The archive's record columns, in the order read_record() reads them ("SELECT " + kRecordColumns).
extern const char* const kRecordColumns;
Record read_record(Statement& st);

}  // namespace edgeocr::store::sqlite
