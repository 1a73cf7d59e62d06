#include "ocr/line_router.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <utility>

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

cv::Mat to_gray(const cv::Mat& crop) {
  if (crop.channels() != 3) return crop;
  cv::Mat gray;
  cv::cvtColor(crop, gray, cv::COLOR_BGR2GRAY);
  return gray;
}

// Tesseract's LSTM reads text scaled to about 36 px high; small crops are enlarged first and
// given a margin, as its line finder expects ink away from the edges.
cv::Mat prepare_crop(const cv::Mat& crop) {
  cv::Mat gray = to_gray(crop);
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

// Tesseract's text as the line's characters: without the directional marks it puts around
// numbers in right-to-left text (invisible, they are no part of what is printed), and in an
// Arabic line with the Arabic comma where its ara model reads that glyph (a raised, turned
// comma) as a Latin comma (not between digits) or as a closing guillemet no opening one precedes.
std::string line_characters(const std::string& text) {
  static constexpr std::string_view kDirectionalMarks[] = {
      "\u200E", "\u200F", "\u061C", "\u202A", "\u202B", "\u202C", "\u202D", "\u202E",
      "\u2066", "\u2067", "\u2068", "\u2069"};
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto mark = std::find_if(std::begin(kDirectionalMarks), std::end(kDirectionalMarks),
                                   [&](std::string_view m) { return std::string_view(text).substr(i, m.size()) == m; });
    if (mark != std::end(kDirectionalMarks)) {
      i += mark->size();
      continue;
    }
    out += text[i++];
  }
  if (dominant_script(out) != Script::arabic) return out;
  constexpr std::string_view kArabicComma = "\u060C", kOpenQuote = "\u00AB", kCloseQuote = "\u00BB";
  std::string arabic;
  int open_quotes = 0;
  for (size_t i = 0; i < out.size();) {
    const std::string_view rest = std::string_view(out).substr(i);
    if (rest.starts_with(kOpenQuote)) {
      ++open_quotes;
    } else if (rest.starts_with(kCloseQuote) && open_quotes == 0) {
      arabic += kArabicComma;
      i += kCloseQuote.size();
      continue;
    } else if (rest.starts_with(kCloseQuote)) {
      --open_quotes;
    } else if (out[i] == ',' && !(i > 0 && i + 1 < out.size() && std::isdigit(static_cast<unsigned char>(out[i - 1])) &&
                                  std::isdigit(static_cast<unsigned char>(out[i + 1])))) {  // 1,000 stays
      arabic += kArabicComma;
      ++i;
      continue;
    }
    arabic += out[i++];
  }
  return arabic;
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

// Characters (UTF-8 code points) other than spaces.
size_t visible_characters(std::string_view text) {
  size_t n = 0;
  for (const char c : text) n += c != ' ' && (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Lines PP reads worse than this are doubtful even on a page it reads well.
constexpr float kDoubtfulConfidence = 0.6f;

// Digits and punctuation PP read over the whole line stay with PP: every recognizer reads those
// alike. Not so a few marks PP made of a whole line of another script (a character is rarely
// more than twice as wide as the line is high, so a crop of width/height w holds at least w/2
// characters; a reading of fewer than half of those missed most of the line), nor marks PP
// doubts on a crop long enough to hold a word. Short marks, rules and specks PP doubts stay with
// PP, to be dropped.
bool digits_and_punctuation(const cv::Mat& crop, const detail::CtcResult& reading) {
  if (reading.text.empty() || dominant_script(reading.text) != Script::unknown || crop.rows == 0) return false;
  const double aspect = static_cast<double>(crop.cols) / crop.rows;
  if (static_cast<double>(visible_characters(reading.text)) * 4 < aspect) return false;
  constexpr double kWordsAspect = 3;
  return reading.confidence >= kDoubtfulConfidence || aspect < kWordsAspect;
}

// Share of a crop's width that holds ink the reading does not account for: stretches between
// its words that are at least a few line heights wide and inked in most of their columns. A
// recognizer without a line's script can read a few marks of it confidently (a Korean address as
// one Han character and its house number); a detected line has no such white gaps, so ink there
// was not read. Ink is the minority side of Otsu's threshold.
double unread_share(const cv::Mat& crop, const detail::CtcResult& reading) {
  if (reading.words.size() < 2 || crop.empty()) return 0;
  constexpr double kUnreadHeights = 4, kInkedColumns = 0.5;
  const double width = crop.cols, min_stretch = kUnreadHeights * crop.rows / width;
  std::vector<std::pair<double, double>> stretches;  // fractions of the width
  double read_to = reading.words.front().end;
  for (const auto& word : reading.words) {
    if (word.begin - read_to >= min_stretch) stretches.emplace_back(read_to, word.begin);
    read_to = std::max(read_to, static_cast<double>(word.end));
  }
  if (stretches.empty()) return 0;
  cv::Mat ink;
  cv::threshold(to_gray(crop), ink, 0, 1, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
  if (cv::countNonZero(ink) * 2 > static_cast<int>(ink.total())) ink = 1 - ink;  // light text on dark
  cv::Mat column_ink;
  cv::reduce(ink, column_ink, 0, cv::REDUCE_SUM, CV_32S);
  double unread = 0;
  for (const auto& [from, to] : stretches) {
    const int x0 = static_cast<int>(from * width), x1 = std::min(static_cast<int>(to * width), column_ink.cols);
    int inked = 0;
    for (int x = x0; x < x1; ++x) inked += column_ink.at<int>(0, x) >= 2;
    if (x1 > x0 && inked > kInkedColumns * (x1 - x0)) unread += to - from;
  }
  return std::min(unread, 1.0);
}

// How another recognizer's reading of a line relates to PP's, letter by letter.
enum class LetterMatch {
  different,  // another text, or a misreading of PP's (symbols read as letters)
  same,       // the same letters
  restored,   // PP's letters with those PP's recognizer lacks put back
};

// Restored: `other` reads at least 80 % of PP's letters, in order and up to their marks (tan π is
// no "tan x"), and the letters it adds are Latin letters with marks (PP reads the plain Latin
// letters of every language, so what it missed carries marks; an added plain letter or ligature
// is a misread symbol, ∈ as "e", ∞ as "œ").
LetterMatch compare_letters(std::string_view pp, std::string_view other) {
  const std::vector<Letter> a = letters_of(pp), b = letters_of(other);
  if (a.empty() || b.empty()) return LetterMatch::different;
  if (std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Letter& x, const Letter& y) { return x.code == y.code; }))
    return LetterMatch::same;
  // Longest common subsequence of the bases; then walk it back to mark b's letters in it.
  std::vector<std::vector<uint16_t>> common(a.size() + 1, std::vector<uint16_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;)
    for (size_t j = b.size(); j-- > 0;)
      common[i][j] = a[i].base == b[j].base ? common[i + 1][j + 1] + 1 : std::max(common[i + 1][j], common[i][j + 1]);
  constexpr double kPpLettersKept = 0.8, kOthersAdded = 0.1;
  if (common[0][0] < kPpLettersKept * static_cast<double>(a.size())) return LetterMatch::different;
  size_t others_added = 0;
  for (size_t i = 0, j = 0; j < b.size();) {
    if (i < a.size() && a[i].base == b[j].base) {
      ++i, ++j;
    } else if (i < a.size() && common[i + 1][j] >= common[i][j + 1]) {
      ++i;
    } else {
      const Letter& added = b[j++];
      others_added += added.code < 0x80 || added.base >= 0x80;
    }
  }
  return static_cast<double>(others_added) <= kOthersAdded * static_cast<double>(b.size()) ? LetterMatch::restored
                                                                                          : LetterMatch::different;
}

// The code of `codes` that reads `script`, else the first.
std::string language_for(Script script, const std::vector<std::string>& codes) {
  for (const auto& c : codes)
    if (auto_language(script) == c) return c;
  return codes.empty() ? "" : codes.front();
}

// The scripts a page's OSD votes propose: Cyrillic and Greek always, as PP-OCR reads them as
// Latin look-alikes and OSD names them unreliably (Latin, Greek, even Thai on Cyrillic
// handwriting); the script OSD names for the stacked sample, at any confidence; and a script it
// names for at least half the sample's lines. Tesseract's reading confirms or rejects each. OSD
// is that unsure of print PP cannot read: a Korean page's stacked sample was Greek at confidence
// 0 (or Hangul at 0, depending on the line spacing), most of its lines Hangul at 0-1.2; on
// handwriting its single-line votes scatter over scripts.
std::vector<Script> page_candidates(TesseractLines::DetectedScript sample_vote,
                                    const std::vector<TesseractLines::DetectedScript>& line_votes) {
  std::vector<Script> out{Script::cyrillic, Script::greek};
  const auto propose = [&](Script script) {
    if (!is_pp_script(script) && std::find(out.begin(), out.end(), script) == out.end()) out.push_back(script);
  };
  propose(sample_vote.script);
  std::map<Script, size_t> named;
  for (const auto& vote : line_votes) ++named[vote.script];
  for (const auto& [script, n] : named)
    if (2 * n >= line_votes.size() && n >= 2) propose(script);
  return out;
}

// auto: the script of a page most of whose lettered lines PP reads with doubt (Latin when English
// reads them best), or unknown for a page not judged. OSD on a sample of those lines (stacked
// into one image: one line alone gives OSD too few letters) proposes scripts; Tesseract reading
// the two widest of them in a proposed script, in that script and more confidently than it reads
// them as English (or than the other proposals, on a page whose Latin readings are not a
// Latin-script language), confirms one. Pages PP reads mostly with confidence (Chinese/English
// documents, receipts) skip all of it.
Script page_script(float keep_confidence, bool latin_language, const std::vector<cv::Mat>& crops,
                   const std::vector<char>& turned, const std::vector<detail::CtcResult>& readings,
                   TesseractLines& tesseract) {
  std::vector<size_t> doubtful;
  size_t lettered = 0;
  for (size_t i = 0; i < crops.size(); ++i) {
    const Script script = dominant_script(readings[i].text);
    if (digits_and_punctuation(crops[i], readings[i])) continue;
    ++lettered;
    // Kana PP reads with confidence are Japanese indeed (v6's recognizer knows them).
    const bool pp_reads = is_pp_script(script) || script == Script::japanese;
    if (pp_reads && readings[i].confidence >= keep_confidence) continue;
    doubtful.push_back(i);
  }
  if (doubtful.empty() || doubtful.size() * 2 < lettered || !language_pack_installed(tesseract.tessdata(), "eng"))
    return Script::unknown;
  // The widest lines (for their height) hold the most letters.
  constexpr size_t kOsdSample = 8, kReadSample = 2;
  const size_t n = std::min(kOsdSample, doubtful.size());
  std::partial_sort(doubtful.begin(), doubtful.begin() + static_cast<long>(n), doubtful.end(),
                    [&](size_t a, size_t b) { return crops[a].cols * crops[b].rows > crops[b].cols * crops[a].rows; });
  // As the detector cut them: the classifier that turned some was trained on the scripts PP
  // reads, and turns lines of others at random (Korean print, most of a page).
  std::vector<cv::Mat> sample;
  for (size_t k = 0; k < n; ++k) {
    sample.push_back(crops[doubtful[k]]);
    if (turned[doubtful[k]]) cv::rotate(sample.back(), sample.back(), cv::ROTATE_180);
  }
  const auto sample_vote = tesseract.detect_script(sample);
  std::vector<TesseractLines::DetectedScript> line_votes;
  for (const cv::Mat& line : sample) line_votes.push_back(tesseract.detect_script(line));

  // Tesseract's confidences compare with each other (PP's do not: it reads Cyrillic
  // handwriting as Latin at 0.8), so English read by Tesseract is the bar to clear.
  const size_t m = std::min(kReadSample, n);
  // A script is confirmed only on enough letters: a one-word sample says little about a page.
  constexpr size_t kMinSampleLetters = 8;
  const auto mean_reading = [&](const std::string& language, Script script) {
    float confidence = 0;
    size_t letters = 0;
    for (size_t k = 0; k < m; ++k) {
      const detail::CtcResult r = tesseract.read(sample[k], language);
      if (script != Script::unknown && dominant_script(r.text) != script) return 0.0f;
      confidence += r.confidence / static_cast<float>(m);
      letters += visible_characters(r.text);
    }
    return script == Script::unknown || letters >= kMinSampleLetters ? confidence : 0.0f;
  };
  // Both recognizers read Cyrillic handwriting as Latin look-alikes, often more confidently than
  // Tesseract reads it as Russian: on a page whose Latin letters are not a Latin-script
  // language's, English is no candidate.
  Script best = Script::unknown;
  float best_confidence = 0;
  bool first = true;
  for (const Script candidate : page_candidates(sample_vote, line_votes)) {
    const std::string language(auto_language(candidate));
    if (language.empty() || !language_pack_installed(tesseract.tessdata(), language)) continue;
    if (std::exchange(first, false) && latin_language)
      best = Script::latin, best_confidence = mean_reading("eng", Script::unknown);
    const float confidence = mean_reading(language, candidate);
    if (confidence > best_confidence) best = candidate, best_confidence = confidence;
  }
  return best;
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
    out.text = line_characters(trimmed(text.get()));
    out.confidence = out.text.empty() ? 0.0f : static_cast<float>(std::max(0, api.MeanTextConf())) / 100.0f;
    if (!out.text.empty()) break;
  }
  api.Clear();
  return out;
}

tesseract::TessBaseAPI* TesseractLines::osd_engine() {
  if (osd_missing_) return nullptr;
  if (!osd_) {
    if (!language_pack_installed(tessdata_, "osd")) {
      osd_missing_ = true;
      return nullptr;
    }
    osd_ = std::make_unique<tesseract::TessBaseAPI>();
    if (osd_->Init(tessdata_.c_str(), "osd", tesseract::OEM_TESSERACT_ONLY) != 0) {
      osd_.reset();
      osd_missing_ = true;
      return nullptr;
    }
    osd_->SetPageSegMode(tesseract::PSM_OSD_ONLY);
    osd_->SetVariable("debug_file", "/dev/null");
    // A line holds far fewer characters than the page OSD was made for.
    osd_->SetVariable("min_characters_to_try", "5");
  }
  return osd_.get();
}

TesseractLines::DetectedScript TesseractLines::detect_prepared(const cv::Mat& gray) {
  tesseract::TessBaseAPI* osd = osd_engine();
  if (!osd) return {};
  set_image(*osd, gray);
  int degrees = 0;
  float orientation_confidence = 0, script_confidence = 0;
  const char* name = nullptr;
  const bool ok = osd->DetectOrientationScript(&degrees, &orientation_confidence, &name, &script_confidence);
  osd->Clear();
  if (!ok || !name) return {};
  return {script_from_name(name), script_confidence};
}

TesseractLines::DetectedScript TesseractLines::detect_script(const cv::Mat& crop) {
  if (crop.empty()) return {};
  return detect_prepared(prepare_crop(crop));
}

TesseractLines::DetectedScript TesseractLines::detect_script(const std::vector<cv::Mat>& crops) {
  // Each line at one height, so that OSD sees letters of one size, one under the other.
  constexpr int kLineHeight = 40, kGap = 16, kMaxWidth = 2400;
  std::vector<cv::Mat> lines;
  int width = 0, height = kGap;
  for (const cv::Mat& crop : crops) {
    if (crop.empty()) continue;
    cv::Mat gray = to_gray(crop);
    const double scale = static_cast<double>(kLineHeight) / gray.rows;
    const int w = std::clamp(static_cast<int>(gray.cols * scale), 1, kMaxWidth);
    cv::resize(gray, gray, cv::Size(w, kLineHeight), 0, 0, cv::INTER_AREA);
    width = std::max(width, w);
    height += kLineHeight + kGap;
    lines.push_back(std::move(gray));
  }
  if (lines.empty()) return {};
  cv::Mat stacked(height, width + 2 * kGap, CV_8UC1, cv::Scalar(255));
  int y = kGap;
  for (const cv::Mat& line : lines) {
    // The line's background shade around it, as in prepare_crop.
    cv::Mat band = stacked(cv::Rect(0, y - kGap / 2, stacked.cols, kLineHeight + kGap));
    band.setTo(cv::Scalar(median_shade(line)));
    line.copyTo(stacked(cv::Rect(kGap, y, line.cols, line.rows)));
    y += kLineHeight + kGap;
  }
  return detect_prepared(stacked);
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
  // Where Tesseract may read a line instead, a PP reading counts only for the part of the line it
  // read.
  if (spec.automatic || !explicit_set.empty())
    for (size_t i = 0; i < crops.size(); ++i)
      readings[i].confidence *= static_cast<float>(1 - unread_share(crops[i], readings[i]));
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
  // PP's Latin letters show whether the page is in a Latin-script language at all, and which
  // where PP's recognizer knows only some of its letters.
  bool latin_language = true;
  std::string letters_language;
  if (spec.automatic) {
    std::string pp_text;
    for (const auto& r : readings) pp_text += r.text;
    latin_language = judge_latin_letters(pp_text) != LatinLetters::lookalike;
    letters_language = latin_language_by_letters(pp_text);
  }
  Script page = spec.automatic ? page_script(keep_confidence, latin_language, crops, turned, readings, tesseract) : Script::unknown;
  // A page PP doubts whose sample Tesseract reads best as English is a Latin page all the same
  // (handwriting, faint print): there too OSD's answer for a single line must be confident.
  const bool pp_page = (spec.pp && with_text > 0 && confident * 2 > with_text) || page == Script::latin;
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
      if (digits_and_punctuation(crops[i], readings[i])) continue;
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

  // A recognizer that reads Cyrillic or Greek itself shows the page's script directly: most
  // lettered lines in it make it the page's script too, so that its Latin look-alike lines
  // (capitals) are read again below. Other scripts keep their lines' own choice: Tesseract reads
  // those worse than a recognizer that knows them (Japanese).
  if (spec.automatic && is_pp_script(page)) {
    std::map<Script, size_t> counts;
    size_t lettered = 0;
    for (size_t i = 0; i < crops.size(); ++i) {
      if (readings[i].text.empty() || digits_and_punctuation(crops[i], readings[i])) continue;
      ++lettered;
      const Script script = dominant_script(readings[i].text);
      if (script == Script::cyrillic || script == Script::greek) ++counts[script];
    }
    for (const auto& [script, n] : counts)
      if (n * 2 > lettered && language_pack_installed(tesseract.tessdata(), std::string(auto_language(script))))
        page = script;
  }

  // The page's script reads the lines not yet in it. On a Cyrillic or Greek page, a line PP
  // reads as Latin is read with the page's language and English, as Tesseract chooses word by
  // word (with the page's language alone where PP's Latin letters are no Latin-script
  // language's: Tesseract's English then takes handwritten words as look-alikes too): PP-OCR
  // reads those scripts as confident Latin look-alikes, so its confidence says nothing there; a
  // line that comes back in the page's script is taken, one that stays Latin keeps PP's reading.
  // Elsewhere confidences compare, the page's script with a lead (a large one over a Latin
  // reading: PP reads other scripts as Latin garbage at 0.6).
  if (!is_pp_script(page)) {
    const std::string language(auto_language(page));
    const bool lookalike_page = page == Script::cyrillic || page == Script::greek;
    constexpr float kOverLatinLead = 0.25f;
    for (size_t i = 0; i < crops.size(); ++i) {
      const Script now = dominant_script(readings[i].text);
      if (now == page || digits_and_punctuation(crops[i], readings[i])) continue;
      if (out[i].by_pp && now == Script::han && readings[i].confidence >= keep_confidence) continue;
      const bool lookalike = lookalike_page && now == Script::latin;
      detail::CtcResult other = tesseract.read(crops[i], lookalike && latin_language ? language + "+eng" : language);
      if (dominant_script(other.text) != page) continue;
      const float lead = now == Script::latin ? kOverLatinLead : kPageScriptLead;
      if (!lookalike && other.confidence + lead <= readings[i].confidence) continue;
      readings[i] = std::move(other);
      out[i] = {page, language, false, true};
    }
  }

  // A Latin page in a language whose letters PP's recognizer lacks in part (Vietnamese): PP reads
  // those lines confidently, dropping or flattening the letters it does not know, so its
  // confidence says nothing; the language's Tesseract model reads each Latin line again, and its
  // reading is taken where it is PP's with the letters put back (symbols PP reads and Tesseract's
  // model does not, formulas, stay PP's); a line both read alike is in the language too, and keeps
  // PP's reading (its spacing).
  if (is_pp_script(page) && !letters_language.empty() && language_pack_installed(tesseract.tessdata(), letters_language))
    for (size_t i = 0; i < crops.size(); ++i) {
      if (!out[i].by_pp || dominant_script(readings[i].text) != Script::latin || digits_and_punctuation(crops[i], readings[i]))
        continue;
      detail::CtcResult other = tesseract.read(crops[i], letters_language);
      const LetterMatch match = compare_letters(readings[i].text, other.text);
      if (match == LetterMatch::same) out[i].language = letters_language;
      if (match != LetterMatch::restored) continue;
      readings[i] = std::move(other);
      out[i] = {Script::latin, letters_language, false, true};
    }
  return out;
}

}  // namespace edgeocr::ocr
