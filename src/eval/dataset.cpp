#include "eval/dataset.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace edgeocr::eval {
namespace fs = std::filesystem;
namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DatasetError("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_image(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".tif" ||
         ext == ".tiff" || ext == ".webp";
}

std::string string_value(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

}  // namespace

std::vector<LabelledLine> parse_sroie_boxes(std::string_view content, const std::string& source) {
  std::vector<LabelledLine> lines;
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  size_t line_no = 0;
  while (!content.empty()) {
    size_t nl = content.find('\n');
    std::string_view row = content.substr(0, nl);
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    ++line_no;
    while (!row.empty() && (row.back() == '\r' || row.back() == ' ')) row.remove_suffix(1);
    if (row.find_first_not_of(" \t") == std::string_view::npos) continue;
    LabelledLine line;
    float coords[8];
    size_t pos = 0;
    for (int i = 0; i < 8; ++i) {
      size_t comma = row.find(',', pos);
      if (comma == std::string_view::npos)
        throw DatasetError(source + ":" + std::to_string(line_no) + ": expected 8 coordinates and a transcript");
      std::string num(row.substr(pos, comma - pos));
      try {
        size_t used = 0;
        coords[i] = std::stof(num, &used);
        if (num.find_first_not_of(" \t", used) != std::string::npos) throw std::invalid_argument(num);
      } catch (const std::exception&) {
        throw DatasetError(source + ":" + std::to_string(line_no) + ": bad coordinate \"" + num + "\"");
      }
      pos = comma + 1;
    }
    for (int i = 0; i < 4; ++i) line.box[static_cast<size_t>(i)] = {coords[2 * i], coords[2 * i + 1]};
    line.text = std::string(row.substr(pos));
    lines.push_back(std::move(line));
  }
  return lines;
}

void parse_edgeocr_label(std::string_view json_text, const std::string& source, Sample& sample) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw DatasetError(source + ": invalid JSON: " + e.what());
  }
  if (!j.is_object()) throw DatasetError(source + ": expected a JSON object");
  if (j.contains("lines")) {
    if (!j["lines"].is_array()) throw DatasetError(source + ": \"lines\" must be an array");
    sample.has_lines = true;
    size_t i = 0;
    for (const auto& l : j["lines"]) {
      LabelledLine line;
      std::string where = source + ": lines[" + std::to_string(i++) + "]";
      if (!l.is_object() || !l.contains("box") || !l.contains("text") || !l["text"].is_string())
        throw DatasetError(where + ": needs \"box\" (4 [x,y] points) and \"text\"");
      const auto& box = l["box"];
      if (!box.is_array() || box.size() != 4) throw DatasetError(where + ": box must have 4 points");
      for (size_t k = 0; k < 4; ++k) {
        if (!box[k].is_array() || box[k].size() != 2 || !box[k][0].is_number() || !box[k][1].is_number())
          throw DatasetError(where + ": box point must be [x, y]");
        line.box[k] = {box[k][0].get<float>(), box[k][1].get<float>()};
      }
      line.text = l["text"].get<std::string>();
      sample.lines.push_back(std::move(line));
    }
  }
  if (j.contains("fields")) {
    if (!j["fields"].is_object()) throw DatasetError(source + ": \"fields\" must be an object");
    for (auto& [k, v] : j["fields"].items()) sample.fields[k] = string_value(v);
  }
}

Dataset load_dataset(const fs::path& dir, size_t limit, const std::string& only_prefix) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw DatasetError("dataset folder not found: " + dir.string());
  Dataset ds;
  ds.root = dir;
  if (fs::is_directory(dir / "img", ec) && fs::is_directory(dir / "box", ec)) {
    ds.layout = DatasetLayout::sroie;
    std::vector<fs::path> images;
    for (const auto& e : fs::directory_iterator(dir / "img"))
      if (e.is_regular_file() && is_image(e.path())) images.push_back(e.path());
    std::sort(images.begin(), images.end());
    for (const auto& img : images) {
      if (limit && ds.samples.size() >= limit) break;
      if (!img.stem().string().starts_with(only_prefix)) continue;
      Sample s;
      s.id = img.stem().string();
      s.image = img;
      fs::path box = dir / "box" / (s.id + ".csv");
      if (!fs::exists(box)) box = dir / "box" / (s.id + ".txt");
      if (fs::exists(box)) {
        s.has_lines = true;
        s.lines = parse_sroie_boxes(read_file(box), box.string());
      }
      fs::path key = dir / "key" / (s.id + ".json");
      if (fs::exists(key)) {
        nlohmann::json j;
        try {
          j = nlohmann::json::parse(read_file(key));
        } catch (const nlohmann::json::exception& e) {
          throw DatasetError(key.string() + ": invalid JSON: " + e.what());
        }
        if (!j.is_object()) throw DatasetError(key.string() + ": expected a JSON object");
        for (auto& [k, v] : j.items()) s.fields[k] = string_value(v);
      }
      ds.samples.push_back(std::move(s));
    }
  } else if (fs::is_directory(dir / "lines", ec)) {
    ds.layout = DatasetLayout::line_images;
    std::vector<fs::path> labels;
    for (const auto& e : fs::directory_iterator(dir / "lines"))
      if (e.is_regular_file() && e.path().string().ends_with(".gt.txt")) labels.push_back(e.path());
    std::sort(labels.begin(), labels.end());
    for (const auto& label : labels) {
      if (limit && ds.samples.size() >= limit) break;
      const std::string name = label.filename().string();
      Sample s;
      s.id = name.substr(0, name.size() - std::string_view(".gt.txt").size());
      if (!s.id.starts_with(only_prefix)) continue;
      s.image = dir / "lines" / (s.id + ".png");
      if (!fs::exists(s.image)) continue;
      s.text = read_file(label);
      while (!s.text.empty() && (s.text.back() == '\n' || s.text.back() == '\r')) s.text.pop_back();
      ds.samples.push_back(std::move(s));
    }
  } else {
    ds.layout = DatasetLayout::edgeocr;
    std::vector<fs::path> images;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && is_image(e.path())) images.push_back(e.path());
    std::sort(images.begin(), images.end());
    for (const auto& img : images) {
      if (limit && ds.samples.size() >= limit) break;
      fs::path label = img;
      label.replace_extension(".json");
      if (!fs::exists(label)) continue;  // unlabelled images are skipped
      if (!img.stem().string().starts_with(only_prefix)) continue;
      Sample s;
      s.id = img.stem().string();
      s.image = img;
      parse_edgeocr_label(read_file(label), label.string(), s);
      ds.samples.push_back(std::move(s));
    }
  }
  if (ds.samples.empty())
    throw DatasetError("no labelled images in " + dir.string() + (only_prefix.empty() ? "" : " starting with '" + only_prefix + "'") +
                       " (expected img/ + box/ [+ key/] as in SROIE, lines/ with .png + .gt.txt, or image files "
                       "with a same-name .json label)");
  return ds;
}

}  // namespace edgeocr::eval
