#include "eval/ocr_cache.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "ocr/json.h"

namespace edgeocr::eval {

ocr::OcrResult ocr_result_from_json(const nlohmann::json& j, const std::string& source) {
  try {
    ocr::OcrResult r;
    r.width = j.value("width", 0);
    r.height = j.value("height", 0);
    r.page_rotation = j.value("page_rotation", 0);
    r.text = j.value("text", std::string());
    for (const auto& l : j.at("lines")) {
      ocr::TextLine line;
      line.text = l.at("text").get<std::string>();
      line.confidence = l.value("confidence", 1.0f);
      const auto& box = l.at("box");
      if (!box.is_array() || box.size() != 4) throw std::runtime_error("a line box needs 4 corners");
      for (size_t i = 0; i < 4; ++i) line.box[i] = {box[i].at(0).get<float>(), box[i].at(1).get<float>()};
      line.row = l.value("row", 0);
      line.order = l.value("order", 0);
      r.lines.push_back(std::move(line));
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(source + ": not an OCR result: " + e.what());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(source + ": " + e.what());
  }
}

std::optional<ocr::OcrResult> OcrCache::get(const std::string& id) const {
  std::ifstream in(dir_ / (id + ".json"));
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  auto path = (dir_ / (id + ".json")).string();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw std::runtime_error(path + ": invalid JSON");
  return ocr_result_from_json(j, path);
}

void OcrCache::put(const std::string& id, const ocr::OcrResult& result) const {
  std::filesystem::create_directories(dir_);
  auto path = dir_ / (id + ".json");
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp);
    if (!out || !(out << ocr::to_json(result).dump() << "\n") || !out.flush())
      throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace edgeocr::eval
