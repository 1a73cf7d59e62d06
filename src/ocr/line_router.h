// The recognizer-routing stage: each detected line is read by the recognizer for its script —
// the PP recognizer for Han and Latin, Tesseract's LSTM (libtesseract on the line crop, one
// line per call) for Arabic, Hebrew, Cyrillic, Greek, Devanagari, Thai, Hangul, Kana and the
// other scripts of Debian's tesseract-ocr-* packs.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "ocr/languages.h"
#include "ocr/postprocess.h"

namespace tesseract {
class TessBaseAPI;
}

namespace edgeocr::ocr {

// Tesseract engines of one worker: one TessBaseAPI per language set, initialised on first use
// and reused for every later line (initialisation costs far more than a line). Not thread-safe:
// each worker owns its own.
class TesseractLines {
 public:
  explicit TesseractLines(std::filesystem::path tessdata);
  TesseractLines(TesseractLines&&) noexcept;
  TesseractLines& operator=(TesseractLines&&) noexcept;
  ~TesseractLines();

  const std::filesystem::path& tessdata() const { return tessdata_; }
  // Loads the engine for `languages` ("ara", "ara+eng") now; throws LanguageError when a pack is missing.
  void prepare(const std::string& languages);
  // Reads one line crop (8-bit BGR or gray) as a single text line. Text in logical order, confidence 0..1.
  detail::CtcResult read(const cv::Mat& crop, const std::string& languages);
  // Tesseract's orientation-and-script detection on a line crop (osd pack): the script and OSD's
  // confidence in it (about 0..10); unknown when it finds too little text or the pack is missing.
  struct DetectedScript {
    Script script = Script::unknown;
    float confidence = 0;
  };
  DetectedScript detect_script(const cv::Mat& crop);
  // The same on several line crops at once, stacked into one image: a page's script from a
  // sample of its lines, with far more letters to judge than any single line gives.
  DetectedScript detect_script(const std::vector<cv::Mat>& crops);

 private:
  tesseract::TessBaseAPI& engine(const std::string& languages);
  tesseract::TessBaseAPI* osd_engine();  // nullptr when the osd pack is missing
  DetectedScript detect_prepared(const cv::Mat& gray);
  std::filesystem::path tessdata_;
  std::map<std::string, std::unique_ptr<tesseract::TessBaseAPI>> engines_;
  std::unique_ptr<tesseract::TessBaseAPI> osd_;
  bool osd_missing_ = false;
};

// The recognizer and language each line was read with.
struct LineLanguage {
  Script script = Script::unknown;
  std::string language;  // Tesseract-style code, "" when unknown
  bool by_pp = true;     // read by the PP recognizer (else by Tesseract)
  // Read by Tesseract in the page's script, which its reading of the page's sample confirmed: a
  // line of text, kept however low Tesseract's confidence (handwriting reads at 0.1-0.3, and
  // mostly right).
  bool in_page_script = false;
};

// Routes the lines: `readings` holds the PP recognizer's readings of `crops` (empty when the
// spec has no PP language) and is replaced by Tesseract's reading for the lines it reads;
// `turned` marks crops the 180° classifier turned (trained on Chinese/Latin, it misjudges other
// scripts: Tesseract reads those both ways and keeps the better). A PP
// reading of Han/Latin text with a mean confidence of at least `keep_confidence` is kept as it is,
// so most lines of Chinese/English documents never reach Tesseract. Under `auto`, a page most of
// whose lines PP doubts is given a script of its own (OSD on a sample of lines, confirmed by
// Tesseract reading them), which then also reads the lines PP took for Latin look-alikes.
std::vector<LineLanguage> route_lines(const LanguageSpec& spec, float keep_confidence,
                                      const std::vector<cv::Mat>& crops, const std::vector<char>& turned,
                                      std::vector<detail::CtcResult>& readings, TesseractLines& tesseract);

// The Tesseract language set an explicit spec reads with ("" when all its codes are PP's): its
// Tesseract codes, plus eng when Chinese/English was asked for as well (Latin words inside such lines).
std::string tesseract_languages(const LanguageSpec& spec);

}  // namespace edgeocr::ocr
