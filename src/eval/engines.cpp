#include "eval/engines.h"

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <nlohmann/json.hpp>
#include <tesseract/baseapi.h>

#include "ocr/decode.h"
#include "ocr/model_locator.h"
#include "ocr/pipeline.h"
#include "ocr/postprocess.h"

namespace edgeocr::eval {
namespace {

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string joined_text(const std::vector<ocr::TextLine>& lines) {
  std::string text;
  int row = -1;
  for (const auto& l : lines) {
    if (!text.empty()) text += l.row == row ? " " : "\n";
    row = l.row;
    text += l.text;
  }
  return text;
}

class LabelsEngine : public Engine {
 public:
  std::string name() const override { return "labels"; }
  ocr::OcrResult run(const Sample& sample) override {
    ocr::OcrResult r;
    int i = 0;
    for (const auto& l : sample.lines) {
      ocr::TextLine t;
      t.text = l.text;
      t.confidence = 1.0f;
      t.box = l.box;
      t.row = t.order = i++;
      r.lines.push_back(std::move(t));
      for (const auto& p : l.box) {
        r.width = std::max(r.width, static_cast<int>(p.x) + 1);
        r.height = std::max(r.height, static_cast<int>(p.y) + 1);
      }
    }
    r.text = joined_text(r.lines);
    return r;
  }
};

class TesseractEngine : public Engine {
 public:
  explicit TesseractEngine(const EngineOptions& options) {
    const char* datapath = options.tessdata_dir.empty() ? nullptr : options.tessdata_dir.c_str();
    if (api_.Init(datapath, options.tesseract_languages.c_str(), tesseract::OEM_LSTM_ONLY) != 0)
      throw std::runtime_error("Tesseract could not load \"" + options.tesseract_languages +
                               "\" (install its packs: tesseract-ocr-eng, tesseract-ocr-chi-sim, ...)");
    // Full automatic page segmentation, like the `tesseract` command line; line images as one line.
    api_.SetPageSegMode(options.single_line ? tesseract::PSM_SINGLE_LINE : tesseract::PSM_AUTO);
    // Tesseract's per-page notes ("Estimating resolution as ...") would drown the progress bar.
    api_.SetVariable("debug_file", "/dev/null");
  }
  ~TesseractEngine() override { api_.End(); }
  std::string name() const override { return "tesseract"; }

  ocr::OcrResult run(const Sample& sample) override {
    auto bytes = read_bytes(sample.image);
    const cv::Mat gray = ocr::imdecode_guarded(bytes, cv::IMREAD_GRAYSCALE);
    if (gray.empty()) throw std::runtime_error("cannot decode " + sample.image.string());
    api_.SetImage(gray.data, gray.cols, gray.rows, 1, static_cast<int>(gray.step));
    if (api_.Recognize(nullptr) != 0) throw std::runtime_error("Tesseract failed on " + sample.image.string());
    ocr::OcrResult r;
    r.width = gray.cols;
    r.height = gray.rows;
    std::unique_ptr<tesseract::ResultIterator> it(api_.GetIterator());
    int index = 0;
    if (it) {
      do {
        std::unique_ptr<char[]> text(it->GetUTF8Text(tesseract::RIL_TEXTLINE));
        if (!text) continue;
        std::string s(text.get());
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
        if (s.empty()) continue;
        int l = 0, t = 0, rgt = 0, b = 0;
        if (!it->BoundingBox(tesseract::RIL_TEXTLINE, &l, &t, &rgt, &b)) continue;
        ocr::TextLine line;
        line.text = s;
        line.confidence = it->Confidence(tesseract::RIL_TEXTLINE) / 100.0f;
        auto fx = [](int v) { return static_cast<float>(v); };
        line.box = {ocr::Point{fx(l), fx(t)}, ocr::Point{fx(rgt), fx(t)}, ocr::Point{fx(rgt), fx(b)},
                    ocr::Point{fx(l), fx(b)}};
        line.row = line.order = index++;
        r.lines.push_back(std::move(line));
      } while (it->Next(tesseract::RIL_TEXTLINE));
    }
    api_.Clear();
    r.text = joined_text(r.lines);
    return r;
  }

 private:
  tesseract::TessBaseAPI api_;
};

// Another tool's output, saved beforehand as one JSON per image (`<id>.json`, EdgeOCR's own
// `{"lines":[{"text","confidence","box":[[x,y]x4]}]}`): scores peers with the same metrics.
class PredictionsEngine : public Engine {
 public:
  explicit PredictionsEngine(std::filesystem::path dir) : dir_(std::move(dir)) {
    if (!std::filesystem::is_directory(dir_))
      throw std::runtime_error("predictions folder " + dir_.string() + " not found");
  }
  std::string name() const override { return "predictions"; }
  ocr::OcrResult run(const Sample& sample) override {
    const auto path = dir_ / (sample.id + ".json");
    auto bytes = read_bytes(path);
    const auto doc = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (doc.is_discarded() || !doc.contains("lines") || !doc["lines"].is_array())
      throw std::runtime_error(path.string() + ": not a JSON object with a \"lines\" array");
    ocr::OcrResult r;
    for (const auto& item : doc["lines"]) {
      const auto& box = item.value("box", nlohmann::json::array());
      if (!box.is_array() || box.size() != 4) throw std::runtime_error(path.string() + ": a line's box is not 4 points");
      ocr::TextLine line;
      line.text = item.value("text", "");
      line.confidence = item.value("confidence", 1.0f);
      for (size_t i = 0; i < 4; ++i) {
        line.box[i] = {box[i].at(0).get<float>(), box[i].at(1).get<float>()};
        r.width = std::max(r.width, static_cast<int>(line.box[i].x) + 1);
        r.height = std::max(r.height, static_cast<int>(line.box[i].y) + 1);
      }
      r.lines.push_back(std::move(line));
    }
    r.text = ocr::detail::assign_reading_order(r.lines);
    return r;
  }

 private:
  std::filesystem::path dir_;
};

class NativeEngine : public Engine {
 public:
  NativeEngine(const EngineOptions& options, const std::string& models) : pipeline_(make_options(options, models)) {}
  std::string name() const override { return "native"; }
  ocr::OcrResult run(const Sample& sample) override {
    auto bytes = read_bytes(sample.image);
    return pipeline_.run(std::span<const uint8_t>(bytes.data(), bytes.size()));
  }

 private:
  static ocr::PipelineOptions make_options(const EngineOptions& o, const std::string& models) {
    ocr::PipelineOptions p;
    p.model_dir = ocr::locate_model_dir(ocr::named_model_dir(o.model_dir.string()));
    if (!models.empty()) p.models = models;
    p.precision = ocr::parse_precision(o.precision);
    p.threads = o.threads;
    p.det_threshold = o.det_threshold;
    p.det_box_threshold = o.det_box_threshold;
    p.det_unclip_ratio = o.det_unclip_ratio;
    p.det_box_unclip_ratio = o.det_box_unclip_ratio;
    if (o.det_max_side) p.det_max_side = *o.det_max_side;
    if (o.det_fine_max_side) p.det_fine_max_side = *o.det_fine_max_side;
    if (o.rec_word_gap) p.rec_word_gap = *o.rec_word_gap;
    p.languages = o.languages;
    p.single_line = o.single_line;
    return p;
  }
  ocr::Pipeline pipeline_;
};

}  // namespace

std::unique_ptr<Engine> make_engine(const std::string& name, const EngineOptions& options) {
  if (name == "labels") return std::make_unique<LabelsEngine>();
  if (name == "tesseract") return std::make_unique<TesseractEngine>(options);
  if (name.rfind("predictions:", 0) == 0) return std::make_unique<PredictionsEngine>(name.substr(12));
  if (name == "native" || name.starts_with("native:"))
    return std::make_unique<NativeEngine>(options, name == "native" ? options.models : name.substr(7));
  throw std::invalid_argument("unknown engine \"" + name +
                              "\" (native, native:SET, tesseract, both, labels, predictions:DIR)");
}

}  // namespace edgeocr::eval
