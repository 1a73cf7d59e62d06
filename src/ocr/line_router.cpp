#include "ocr/line_router.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include <opencv2/imgproc.hpp>
#include <tesseract/baseapi.h>

namespace edgeocr::ocr {
namespace {

int median_shade(const cv::Mat& gray) {
  std::array<int, 256> histogram{};
  for (int y = 0; y < gray.rows; ++y) {
    const uint8_t* row = gray.ptr<uint8_t>(y);
    for (int x = 0; x < gray.cols; ++x) ++histogram[row[x]];
  }
  const long half = static_cast<long>(gray.total()) / 2;
  long seen = 0;
  for (int v = 0; v < 256; ++v)
    if ((seen += histogram[v]) > half) return v;
  return 255;
}

// Tesseract's LSTM reads text scaled to about 36 px high; small crops are enlarged first and
// given a margin, as its line finder expects ink away from the edges.
cv::Mat prepare_crop(const cv::Mat& crop) {
  cv::Mat gray;
  if (crop.channels() == 3)
    cv::cvtColor(crop, gray, cv::COLOR_BGR2GRAY);
  else
    gray = crop;
  constexpr int kMinHeight = 48;
  if (gray.rows < kMinHeight) {
    const double scale = static_cast<double>(kMinHeight) / gray.rows;
    cv::resize(gray, gray, cv::Size(std::max(1, static_cast<int>(gray.cols * scale)), kMinHeight), 0, 0, cv::INTER_CUBIC);
  }
  // The margin takes the background's shade (the median: ink is the minority of a line's
  // pixels); repeating the edge pixels would stretch ink that touches the edge into strokes.
  const int margin = std::max(4, gray.rows / 4);
  cv::Mat padded;
  cv::copyMakeBorder(gray, padded, margin, margin, margin, margin, cv::BORDER_CONSTANT, cv::Scalar(median_shade(gray)));
  return padded;
}

void set_image(tesseract::TessBaseAPI& api, const cv::Mat& gray) {
  api.SetImage(gray.data, gray.cols, gray.rows, 1, static_cast<int>(gray.step));
  api.SetSourceResolution(300);  // line crops carry no resolution; this silences the guess
}

std::string trimmed(const char* text) {
  std::string s = text ? text : "";
  const auto not_space = [](unsigned char c) { return c != ' ' && c != '\n' && c != '\t' && c != '\r'; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

bool is_pp_script(Script s) { return s == Script::latin || s == Script::han || s == Script::unknown; }

// The code of `codes` that reads `script`, else the first.
std::string language_for(Script script, const std::vector<std::string>& codes) {
  for (const auto& c : codes)
    if (auto_language(script) == c) return c;
  return codes.empty() ? "" : codes.front();
}

}  // namespace

TesseractLines::TesseractLines(std::filesystem::path tessdata) : tessdata_(std::move(tessdata)) {}
TesseractLines::TesseractLines(TesseractLines&&) noexcept = default;
TesseractLines& TesseractLines::operator=(TesseractLines&&) noexcept = default;
TesseractLines::~TesseractLines() {
  for (auto& [name, api] : engines_) api->End();
  if (osd_) osd_->End();
}

void TesseractLines::prepare(const std::string& languages) { engine(languages); }

tesseract::TessBaseAPI& TesseractLines::engine(const std::string& languages) {
  auto it = engines_.find(languages);
  if (it != engines_.end()) return *it->second;
  std::vector<std::string> codes;
  for (size_t start = 0; start <= languages.size();) {
    const size_t end = std::min(languages.find('+', start), languages.size());
    codes.push_back(languages.substr(start, end - start));
    start = end + 1;
  }
  require_language_packs(tessdata_, codes);
  auto api = std::make_unique<tesseract::TessBaseAPI>();
  if (api->Init(tessdata_.c_str(), languages.c_str(), tesseract::OEM_LSTM_ONLY) != 0)
    throw LanguageError("Tesseract could not load \"" + languages + "\" from " + tessdata_.string());
  api->SetPageSegMode(tesseract::PSM_SINGLE_LINE);
  api->SetVariable("debug_file", "/dev/null");
  return *engines_.emplace(languages, std::move(api)).first->second;
}

detail::CtcResult TesseractLines::read(const cv::Mat& crop, const std::string& languages) {
  detail::CtcResult out;
  if (crop.empty()) return out;
  tesseract::TessBaseAPI& api = engine(languages);
  const cv::Mat image = prepare_crop(crop);
  // PSM_SINGLE_LINE still looks for blobs and a baseline first, and on some clean crops finds no
  // line at all; the raw line mode then reads the crop as it is.
  for (const auto mode : {tesseract::PSM_SINGLE_LINE, tesseract::PSM_RAW_LINE}) {
    api.SetPageSegMode(mode);
    set_image(api, image);
    std::unique_ptr<char[]> text(api.GetUTF8Text());
    out.text = trimmed(text.get());
    out.confidence = out.text.empty() ? 0.0f : static_cast<float>(std::max(0, api.MeanTextConf())) / 100.0f;
    if (!out.text.empty()) break;
  }
  api.Clear();
  return out;
}

TesseractLines::DetectedScript TesseractLines::detect_script(const cv::Mat& crop) {
  if (crop.empty() || osd_missing_) return {};
  if (!osd_) {
    if (!language_pack_installed(tessdata_, "osd")) {
      osd_missing_ = true;
      return {};
    }
    osd_ = std::make_unique<tesseract::TessBaseAPI>();
    if (osd_->Init(tessdata_.c_str(), "osd", tesseract::OEM_TESSERACT_ONLY) != 0) {
      osd_.reset();
      osd_missing_ = true;
      return {};
    }
    osd_->SetPageSegMode(tesseract::PSM_OSD_ONLY);
    osd_->SetVariable("debug_file", "/dev/null");
    // A line holds far fewer characters than the page OSD was made for.
    osd_->SetVariable("min_characters_to_try", "5");
  }
  const cv::Mat image = prepare_crop(crop);
  set_image(*osd_, image);
  int degrees = 0;
  float orientation_confidence = 0, script_confidence = 0;
  const char* name = nullptr;
  const bool ok = osd_->DetectOrientationScript(&degrees, &orientation_confidence, &name, &script_confidence);
  osd_->Clear();
  if (!ok || !name) return {};
  return {script_from_name(name), script_confidence};
}

std::string tesseract_languages(const LanguageSpec& spec) {
  std::string joined;
  for (const auto& c : spec.tesseract) joined += (joined.empty() ? "" : "+") + c;
  if (!joined.empty() && spec.pp) joined += "+eng";
  return joined;
}

std::vector<LineLanguage> route_lines(const LanguageSpec& spec, float keep_confidence,
                                      const std::vector<cv::Mat>& crops, const std::vector<char>& turned,
                                      std::vector<detail::CtcResult>& readings, TesseractLines& tesseract) {
  std::vector<LineLanguage> out(crops.size());
  const std::string explicit_set = spec.automatic ? "" : tesseract_languages(spec);
  const auto keep_pp = [&](size_t i) {
    const Script script = dominant_script(readings[i].text);
    out[i] = {script, std::string(pp_language(script, spec))};
  };
  // Reads line i with `languages`; keeps Tesseract's reading when it is the better one (or the
  // only one), its confidence raised by `lead` first. A crop the classifier turned is read both ways.
  const auto try_tesseract = [&](size_t i, const std::string& languages, float lead) {
    detail::CtcResult other = tesseract.read(crops[i], languages);
    if (turned[i]) {
      cv::Mat back;
      cv::rotate(crops[i], back, cv::ROTATE_180);
      detail::CtcResult unturned = tesseract.read(back, languages);
      if (unturned.confidence > other.confidence) other = std::move(unturned);
    }
    const bool by_pp = out[i].by_pp;
    if (by_pp && spec.pp && !readings[i].text.empty() && other.confidence + lead <= readings[i].confidence) return false;
    if (!by_pp && other.confidence <= readings[i].confidence) return false;
    readings[i] = std::move(other);
    const Script script = dominant_script(readings[i].text);
    const std::vector<std::string> codes = spec.automatic ? std::vector<std::string>{languages} : spec.tesseract;
    out[i] = {script, language_for(script, codes), false};
    return true;
  };

  // A page most of whose lines the PP recognizer reads confidently is a Chinese/English page:
  // there OSD (noisy on short receipt lines, and a cost) is asked only about lines PP reads
  // very poorly, and its answer must be confident.
  size_t confident = 0, with_text = 0;
  for (size_t i = 0; i < crops.size(); ++i) {
    if (readings[i].text.empty()) continue;
    ++with_text;
    confident += readings[i].confidence >= keep_confidence && is_pp_script(dominant_script(readings[i].text));
  }
  const bool pp_page = spec.pp && with_text > 0 && confident * 2 > with_text;
  constexpr float kDoubtfulConfidence = 0.6f;  // on a PP page, only lines read worse go to OSD
  constexpr float kConfidentOsd = 4.0f;        // OSD confidence that overrides a PP page

  std::vector<size_t> undecided;      // auto: low-confidence lines whose script was not found
  std::vector<std::string> on_page;   // auto: Tesseract languages that read some line of this page
  for (size_t i = 0; i < crops.size(); ++i) {
    keep_pp(i);
    const Script pp_script = out[i].script;
    const float pp_confidence = readings[i].confidence;
    if (spec.pp && !readings[i].text.empty() && pp_confidence >= keep_confidence && is_pp_script(pp_script))
      continue;
    std::string languages = explicit_set;
    if (spec.automatic) {
      // Digits and punctuation alone: the PP recognizer reads them in any script.
      if (pp_script == Script::unknown && !readings[i].text.empty()) continue;
      Script script = pp_script;  // the PP reading already shows another script (Kana, Cyrillic, ...)
      if (is_pp_script(pp_script)) {
        if (pp_page && pp_confidence >= kDoubtfulConfidence) continue;
        const auto detected = tesseract.detect_script(crops[i]);
        script = !pp_page || detected.confidence >= kConfidentOsd ? detected.script : Script::unknown;
      }
      languages = std::string(auto_language(script));
      if (!languages.empty() && !language_pack_installed(tesseract.tessdata(), languages)) languages.clear();
      if (languages.empty()) {
        undecided.push_back(i);
        continue;
      }
    }
    if (languages.empty()) continue;
    if (try_tesseract(i, languages, 0.0f) && spec.automatic &&
        std::find(on_page.begin(), on_page.end(), languages) == on_page.end())
      on_page.push_back(languages);
  }
  // A short or faint line gives OSD too little to decide: on a mixed page it is most likely in
  // one of the page's other scripts, so those are tried (a Chinese/English page tries none).
  // Tesseract's mean word confidence runs lower than the CTC mean for short pieces read equally
  // well (a 3-letter Arabic fragment: 0.55 against a wrong Latin reading's 0.62), so it gets a
  // lead here, where the page has already shown the script.
  constexpr float kPageScriptLead = 0.1f;
  for (size_t i : undecided)
    for (const auto& languages : on_page) try_tesseract(i, languages, kPageScriptLead);
  return out;
}

}  // namespace edgeocr::ocr
