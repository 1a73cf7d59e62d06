#pragma once

#include <string>

namespace edgeocr::sync::testing {

struct SeedOptions {
  std::string data_dir;
  int count = 0;
  int start = 0;            // records are numbered start .. start+count-1
  int payload_bytes = 200;  // size of the filler field of each record's result JSON
  int image_every = 0;
  int lines = 1;             // OCR lines (text, confidence, 4-point box) in each result
  std::string image_file;    // use this file as the image instead of a generated JPEG
  // Realistic records: a folder with img/*.jpg and box/*.csv (x1,y1,...,x4,y4,text per line, as
  // in the SROIE eval set); record i takes the i-th (cyclically) image and its lines.
  std::string corpus_dir;
  // Test shortcut for volume: write outbox rows directly, 1000 per transaction, without the
  // archive's per-record fsync (the record path itself is covered by the other tests).
  bool outbox_only = false;
  // Archive the records as `edgeocr serve` does when sync is NOT configured: no outbox hook.
  bool without_sync = false;
};

// The text each seeded record carries, so tests can check fields arrive intact.
std::string seeded_text(int number);
void seed_records(const SeedOptions& options);

}  // namespace edgeocr::sync::testing
