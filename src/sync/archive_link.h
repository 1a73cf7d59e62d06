// Where the sync code meets the archive (src/store): the outbox migration and the insert hook
// that writes each record's outbox row inside the record's own transaction.
#pragma once

#include <filesystem>
#include <string>

#include "store/archive.h"

namespace edgeocr::sync {

// Schema versions of the outbox migrations in the archive's versioned migrations (>= 1000 range).
// Append new ones; never edit a released one.
inline constexpr int kOutboxMigrationVersion = 1001;             // outbox_migration_sql()
inline constexpr int kOutboxDeadLetterMigrationVersion = 1002;   // outbox_dead_letter_migration_sql()
inline constexpr int kOutboxKindMigrationVersion = 1003;         // outbox_kind_migration()

// Adds the outbox migrations and the remove hook (deletions reach head office as tombstones) to
// the archive's options; with `sync_on`, also the insert hook (each record enqueued in its own
// transaction) and the retention hold (records head office has not acknowledged are never
// pruned). Call before constructing the Archive: `edgeocr serve` always does, with `sync_on`
// when sync.url is set, so that no record escapes the outbox and no deletion escapes head office.
void add_outbox_to(store::ArchiveOptions& options, bool sync_on = true);

// What head office receives for one record: {text, result, fields, image_sha256, image_ext}.
std::string outbox_payload(const store::Record& record);

std::filesystem::path archive_database_file(const std::filesystem::path& data_dir);

// `edgeocr sync backfill`: enqueues every archived record created on or after `since_date`
// (YYYY-MM-DD; empty: all) that is not in the outbox, not dead-lettered and not delivered, e.g.
// records archived before sync was configured. Migrates the archive first. Returns how many.
int64_t backfill_outbox(const std::filesystem::path& data_dir, const std::string& since_date);

}  // namespace edgeocr::sync
