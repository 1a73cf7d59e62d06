#include "sync/archive_link.h"

#include <regex>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "sync/outbox.h"

namespace edgeocr::sync {
namespace {

nlohmann::json parse_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(text) : j;
}

OutboxItem outbox_item(const store::Record& record) {
  return {record.id, record.created_at, outbox_payload(record), store::Archive::image_relative_path(record)};
}

}  // namespace

std::string outbox_payload(const store::Record& record) {
  nlohmann::json payload = {{"text", record.text},
                            {"result", parse_or_null(record.result_json)},
                            {"fields", parse_or_null(record.fields_json)},
                            {"image_sha256", record.image_sha256},
                            {"image_ext", record.image_ext}};
  return payload.dump();
}

void add_outbox_to(store::ArchiveOptions& options, bool sync_on) {
  options.extra_migrations.push_back({kOutboxMigrationVersion, outbox_migration_sql()});
  options.extra_migrations.push_back({kOutboxDeadLetterMigrationVersion, outbox_dead_letter_migration_sql()});
  options.extra_migrations.push_back({kOutboxKindMigrationVersion, "", outbox_kind_migration});
  options.remove_hooks.push_back(
      [](store::TransactionHandle& tx, const store::Record& record) { remove_in_transaction(tx, record.id); });
  if (!sync_on) return;
  options.insert_hooks.push_back(
      [](store::TransactionHandle& tx, const store::Record& record) { enqueue_in_transaction(tx, outbox_item(record)); });
  options.retention_holds.push_back("NOT EXISTS (SELECT 1 FROM sync_delivered d WHERE d.record_id = records.id)");
}

int64_t backfill_outbox(const std::filesystem::path& data_dir, const std::string& since_date) {
  if (!since_date.empty()) {
    static const std::regex date(R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$)");
    if (!std::regex_match(since_date, date)) {
      throw std::invalid_argument("--since must be a date YYYY-MM-DD (got '" + since_date + "')");
    }
  }
  {
    // Bring an archive written without sync up to the current schema (records + outbox tables).
    store::ArchiveOptions options;
    options.data_dir = data_dir;
    add_outbox_to(options);
    store::Archive archive(options);
  }
  Outbox outbox(archive_database_file(data_dir));
  // created_at is ISO 8601 UTC, so "created_at >= 'YYYY-MM-DD'" selects that day onwards.
  return outbox.backfill(since_date, outbox_item);
}

std::filesystem::path archive_database_file(const std::filesystem::path& data_dir) {
  return store::Archive::database_file(data_dir);
}

}  // namespace edgeocr::sync
