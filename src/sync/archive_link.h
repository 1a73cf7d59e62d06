// Where the sync code meets the archive (src/store): the outbox migration and the insert hook
// that writes each record's outbox row inside the record's own transaction.
#pragma once

#include <filesystem>
#include <string>

#include "store/archive.h"

namespace edgeocr::sync {

// Schema version of the outbox migration in the archive's versioned migrations (>= 1000 range).
inline constexpr int kOutboxMigrationVersion = 1001;

// Adds the outbox migration and insert hook to the archive's options. Call before constructing
// the Archive (as `edgeocr serve` does, and must, so that no record escapes the outbox).
void add_outbox_to(store::ArchiveOptions& options);

// What head office receives for one record: {text, result, fields, image_sha256, image_ext}.
std::string outbox_payload(const store::Record& record);

std::filesystem::path archive_database_file(const std::filesystem::path& data_dir);

}  // namespace edgeocr::sync
