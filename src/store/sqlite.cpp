#include "store/sqlite.h"

namespace edgeocr::store::sqlite {

void fail(sqlite3* db, const std::string& what) {
  throw StoreError("SQLite " + what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail(db, "prepare");
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "step");
}

std::string Statement::text(int column) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
}

void exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    throw StoreError("SQLite: " + text + " (in: " + sql.substr(0, 80) + ")");
  }
}

void Handle::execute(const std::string& sql, const std::vector<Value>& params) {
  if (params.empty()) return exec(db_, sql);
  Statement st(db_, sql);
  for (size_t i = 0; i < params.size(); ++i) st.bind(static_cast<int>(i + 1), params[i]);
  st.step();
}

std::optional<int64_t> Handle::query_integer(const std::string& sql, const std::vector<Value>& params) {
  Statement st(db_, sql);
  for (size_t i = 0; i < params.size(); ++i) st.bind(static_cast<int>(i + 1), params[i]);
  if (!st.step() || st.is_null(0)) return std::nullopt;
  return st.integer(0);
}

const char* const kRecordColumns = "seq, id, created_at, image_sha256, image_ext, result_json, fields_json, text";

Record read_record(Statement& st) {
  Record r;
  r.seq = st.integer(0);
  r.id = st.text(1);
  r.created_at = st.text(2);
  r.image_sha256 = st.text(3);
  r.image_ext = st.text(4);
  r.result_json = st.text(5);
  r.fields_json = st.text(6);
  r.text = st.text(7);
  return r;
}

}  // namespace edgeocr::store::sqlite
