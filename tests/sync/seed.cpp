#include "seed.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <sqlite3.h>

#include "common/uuid.h"
#include "store/archive.h"
#include "store/sqlite.h"
#include "sync/outbox.h"
#include "sync/archive_link.h"

namespace edgeocr::sync::testing {
namespace {

std::vector<uint8_t> make_jpeg(int number) {
  cv::Mat image(480, 360, CV_8UC3, cv::Scalar(245, 245, 245));
  std::mt19937 rng(static_cast<unsigned>(number));
  for (int line = 0; line < 12; ++line) {
    cv::putText(image, "ITEM " + std::to_string(rng() % 1000) + "  " + std::to_string(rng() % 100) + ".99",
                cv::Point(16, 40 + line * 34), cv::FONT_HERSHEY_SIMPLEX, 0.8, cv::Scalar(20, 20, 20), 2);
  }
  cv::putText(image, "#" + std::to_string(number), cv::Point(16, 460), cv::FONT_HERSHEY_SIMPLEX, 0.8,
              cv::Scalar(0, 0, 0), 2);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85});
  return jpeg;
}

struct CorpusEntry {
  std::vector<uint8_t> image;
  nlohmann::json lines = nlohmann::json::array();
};

std::vector<CorpusEntry> load_corpus(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> images;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "img")) {
    if (entry.path().extension() == ".jpg") images.push_back(entry.path());
  }
  std::sort(images.begin(), images.end());
  std::vector<CorpusEntry> corpus;
  for (const auto& path : images) {
    CorpusEntry entry;
    std::ifstream in(path, std::ios::binary);
    entry.image.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    std::ifstream boxes(dir / "box" / (path.stem().string() + ".csv"));
    std::string line;
    while (std::getline(boxes, line)) {
      std::vector<std::string> parts;
      std::stringstream fields(line);
      std::string part;
      for (int k = 0; k < 8 && std::getline(fields, part, ','); ++k) parts.push_back(part);
      std::string text;
      std::getline(fields, text);
      if (parts.size() != 8) continue;
      nlohmann::json box = nlohmann::json::array();
      for (int k = 0; k < 8; k += 2) box.push_back({std::atoi(parts[k].c_str()), std::atoi(parts[k + 1].c_str())});
      entry.lines.push_back({{"text", text}, {"confidence", 0.97}, {"box", box}});
    }
    corpus.push_back(std::move(entry));
  }
  if (corpus.empty()) throw std::runtime_error("seed: no images in " + (dir / "img").string());
  return corpus;
}

}  // namespace

std::string seeded_text(int number) { return "TOTAL " + std::to_string(number) + ".00 EUR \xC3\xA9t\xC3\xA9"; }

namespace {

void exec_sql(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "?";
    sqlite3_free(message);
    throw std::runtime_error("seed: " + text);
  }
}

void seed_outbox_only(const SeedOptions& options) {
  { store::ArchiveOptions archive_options;  // create + migrate the archive like serve does
    archive_options.data_dir = options.data_dir;
    add_outbox_to(archive_options);
    store::Archive archive(archive_options); }
  sqlite3* db = nullptr;
  if (sqlite3_open(archive_database_file(options.data_dir).c_str(), &db) != SQLITE_OK) throw std::runtime_error("seed: open");
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(db, sqlite3_close);
  sqlite3_busy_timeout(db, 10000);
  std::string filler(static_cast<size_t>(options.payload_bytes), 'x');
  for (int first = 0; first < options.count; first += 1000) {
    exec_sql(db, "BEGIN IMMEDIATE");
    store::sqlite::Handle tx(db);
    for (int i = first; i < std::min(options.count, first + 1000); ++i) {
      int number = options.start + i;
      store::Record record;
      record.id = common::new_uuid_v4();
      record.created_at = store::utc_now_iso8601();
      record.text = seeded_text(number);
      record.result_json = nlohmann::json({{"text", seeded_text(number)}, {"number", number}, {"filler", filler}}).dump();
      record.fields_json = nlohmann::json({{"total", std::to_string(number) + ".00"}}).dump();
      enqueue_in_transaction(tx, {record.id, record.created_at, outbox_payload(record), ""});
    }
    exec_sql(db, "COMMIT");
  }
}

}  // namespace

void seed_records(const SeedOptions& options) {
  if (options.outbox_only) return seed_outbox_only(options);
  // Exactly what `edgeocr serve` does: an Archive with the outbox migration and insert hook
  // (unless sync is "not configured").
  store::ArchiveOptions archive_options;
  archive_options.data_dir = options.data_dir;
  if (!options.without_sync) add_outbox_to(archive_options);
  store::Archive archive(archive_options);

  std::vector<uint8_t> fixed_image;
  if (!options.image_file.empty()) {
    std::ifstream in(options.image_file, std::ios::binary);
    fixed_image.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::vector<CorpusEntry> corpus;
  if (!options.corpus_dir.empty()) corpus = load_corpus(options.corpus_dir);
  std::string filler(static_cast<size_t>(options.payload_bytes), 'x');
  for (int i = 0; i < options.count; ++i) {
    int number = options.start + i;
    nlohmann::json lines = nlohmann::json::array();
    for (int l = 0; l < options.lines; ++l) {
      int y = 20 + 30 * l;
      lines.push_back({{"text", l == 0 ? seeded_text(number) : "ITEM " + std::to_string(l) + " QTY 1 x 12.50 = 12.50"},
                       {"confidence", 0.9 + 0.001 * (l % 90)},
                       {"box", {{40, y}, {420, y}, {420, y + 24}, {40, y + 24}}}});
    }
    const CorpusEntry* sample = corpus.empty() ? nullptr : &corpus[static_cast<size_t>(number) % corpus.size()];
    if (sample) {
      lines = sample->lines;
      lines.insert(lines.begin(), {{"text", seeded_text(number)}, {"confidence", 0.99}, {"box", {{0, 0}, {1, 0}, {1, 1}, {0, 1}}}});
    }
    nlohmann::json result = {{"text", seeded_text(number)}, {"number", number}, {"lines", std::move(lines)}};
    if (!filler.empty()) result["filler"] = filler;
    std::vector<uint8_t> image;
    if (options.image_every > 0 && number % options.image_every == 0) {
      image = sample ? sample->image : options.image_file.empty() ? make_jpeg(number) : fixed_image;
    }
    store::NewRecord record;
    record.image = image;
    record.image_ext = "jpg";
    record.result_json = result.dump();
    record.fields_json = nlohmann::json({{"total", std::to_string(number) + ".00"}}).dump();
    record.text = seeded_text(number);
    archive.insert(record);
  }
}

}  // namespace edgeocr::sync::testing
