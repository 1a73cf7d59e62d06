#include "ocr/languages.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>

namespace edgeocr::ocr {
namespace {

bool valid_code(std::string_view code) {
  return !code.empty() && code.size() <= 32 &&
         std::all_of(code.begin(), code.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9'); });
}

// One code point from UTF-8 at `i` (advanced); malformed bytes read as U+FFFD.
char32_t next_code_point(std::string_view s, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) {
    ++i;
    return c;
  }
  const int extra = (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
  if (extra < 0 || i + static_cast<size_t>(extra) >= s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = c & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
  i += static_cast<size_t>(extra) + 1;
  return cp;
}

Script script_of(char32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
      (c >= 0x1E00 && c <= 0x1EFF))
    return Script::latin;
  if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) || (c >= 0xFF66 && c <= 0xFF9D)) return Script::japanese;
  if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF)) return Script::han;
  if ((c >= 0xAC00 && c <= 0xD7A3) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F)) return Script::hangul;
  if ((c >= 0x0600 && c <= 0x06FF && !(c >= 0x0660 && c <= 0x0669)) || (c >= 0x0750 && c <= 0x077F) ||
      (c >= 0xFB50 && c <= 0xFDFF) || (c >= 0xFE70 && c <= 0xFEFF))
    return Script::arabic;
  if (c >= 0x0590 && c <= 0x05FF) return Script::hebrew;
  if (c >= 0x0400 && c <= 0x04FF) return Script::cyrillic;
  if ((c >= 0x0370 && c <= 0x03FF) || (c >= 0x1F00 && c <= 0x1FFF)) return Script::greek;
  if (c >= 0x0900 && c <= 0x097F && !(c >= 0x0966 && c <= 0x096F)) return Script::devanagari;
  if (c >= 0x0E00 && c <= 0x0E7F && !(c >= 0x0E50 && c <= 0x0E59)) return Script::thai;
  return Script::unknown;
}

// The plain letter under each Latin letter of U+00C0-U+024F and U+1E00-U+1EFF, in lower case,
// '_' where there is none (ø, ł, œ, ×); from Unicode's canonical decompositions, with đ as d.
constexpr std::string_view kLatinBases00C0 =
    "aaaaaa_ceeeeiiii_nooooo__uuuuy__aaaaaa_ceeeeiiii_nooooo__uuuuy_yaaaaaaccccccccdd"
    "ddeeeeeeeeeegggggggghh__iiiiiiiii___jjkk_llllll____nnnnnn___oooooo__rrrrrrssssss"
    "sstttt__uuuuuuuuuuuuwwyyyzzzzzz_________________________________oo_____________u"
    "u____________________________aaiioouuuuuuuuuu_aaaa____ggkkoooo__j___gg__nnaa____"
    "aaaaeeeeiiiioooorrrruuuusstt__hh______aaeeooooooooyy____________________________";
constexpr std::string_view kLatinBases1E00 =
    "aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmmmmmmnnnnnnnnoooo"
    "oooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvvwwwwwwwwwwxxxxyyzzzzzzhtwy______"
    "aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuu"
    "uuyyyyyyyy______";
static_assert(kLatinBases00C0.size() == 0x250 - 0xC0 && kLatinBases1E00.size() == 0x100);

char32_t base_letter(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A' + 'a';
  const auto from = [&](std::string_view bases, char32_t first) {
    const char b = bases[c - first];
    return b == '_' ? c : static_cast<char32_t>(b);
  };
  if (c >= 0xC0 && c < 0x250) return from(kLatinBases00C0, 0xC0);
  if (c >= 0x1E00 && c < 0x1F00) return from(kLatinBases1E00, 0x1E00);
  return c;
}

bool vietnamese_letter(char32_t c) {
  return c == 0x110 || c == 0x111 || c == 0x128 || c == 0x129 || c == 0x168 || c == 0x169 || c == 0x1A0 ||
         c == 0x1A1 || c == 0x1AF || c == 0x1B0 || (c >= 0x1EA0 && c <= 0x1EF9);
}

struct ScriptInfo {
  Script script;
  std::string_view name;
  std::string_view auto_language;  // "" = the PP recognizer reads it
};
constexpr std::array<ScriptInfo, 11> kScripts{{
    {Script::unknown, "Unknown", ""},
    {Script::latin, "Latin", ""},
    {Script::han, "Han", ""},
    {Script::japanese, "Japanese", "jpn"},
    {Script::hangul, "Hangul", "kor"},
    {Script::arabic, "Arabic", "ara"},
    {Script::hebrew, "Hebrew", "heb"},
    {Script::cyrillic, "Cyrillic", "rus"},
    {Script::greek, "Greek", "ell"},
    {Script::devanagari, "Devanagari", "hin"},
    {Script::thai, "Thai", "tha"},
}};

const ScriptInfo& info(Script script) {
  for (const auto& s : kScripts)
    if (s.script == script) return s;
  return kScripts[0];
}

}  // namespace

LanguageSpec parse_languages(std::string_view spec) {
  LanguageSpec out;
  if (spec == "auto") {
    out.automatic = true;
    out.pp = true;
    return out;
  }
  size_t start = 0;
  bool any = false;
  while (start <= spec.size()) {
    const size_t end = std::min(spec.find('+', start), spec.size());
    const std::string_view code = spec.substr(start, end - start);
    if (!valid_code(code))
      throw LanguageError("language '" + std::string(code) +
                          "' is not a language code (Tesseract style, joined with +: chi_sim+eng, ara+eng, or auto)");
    any = true;
    if (code == "chi_sim" || code == "ch" || code == "zh") {
      out.pp = true;
    } else if (code == "eng" || code == "en") {
      out.pp = true;
    } else if (code == "auto") {
      throw LanguageError("'auto' cannot be combined with other languages");
    } else if (std::find(out.tesseract.begin(), out.tesseract.end(), code) == out.tesseract.end()) {
      out.tesseract.emplace_back(code);
    }
    start = end + 1;
  }
  if (!any) throw LanguageError("give a language such as chi_sim, eng, chi_sim+eng, ara or auto");
  return out;
}

std::filesystem::path tessdata_dir(const std::filesystem::path& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("TESSDATA_PREFIX"); env && *env) return env;
  return "/usr/share/tesseract-ocr/5/tessdata";
}

std::string debian_language_package(std::string_view code) {
  std::string name = "tesseract-ocr-" + std::string(code);
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

bool language_pack_installed(const std::filesystem::path& tessdata, std::string_view code) {
  std::error_code ec;
  return std::filesystem::is_regular_file(tessdata / (std::string(code) + ".traineddata"), ec);
}

void require_language_packs(const std::filesystem::path& tessdata, const std::vector<std::string>& codes) {
  for (const auto& code : codes)
    if (!language_pack_installed(tessdata, code))
      throw LanguageError("language '" + code + "' needs its Tesseract language pack, not found in " + tessdata.string() +
                          ": install the Debian package " + debian_language_package(code) + " (apt-get install " +
                          debian_language_package(code) + ")");
}

std::string_view script_name(Script script) { return info(script).name; }

Script script_from_name(std::string_view name) {
  if (name == "Katakana" || name == "Hiragana") return Script::japanese;
  if (name == "Korean") return Script::hangul;
  for (const auto& s : kScripts)
    if (s.name == name) return s.script;
  return Script::unknown;
}

Script dominant_script(std::string_view utf8) {
  std::map<Script, int> counts;
  for (size_t i = 0; i < utf8.size();) {
    const Script s = script_of(next_code_point(utf8, i));
    if (s != Script::unknown) ++counts[s];
  }
  if (counts.empty()) return Script::unknown;
  if (counts.count(Script::japanese) && !counts.count(Script::hangul)) return Script::japanese;
  return std::max_element(counts.begin(), counts.end(), [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

LatinLetters judge_latin_letters(std::string_view utf8) {
  size_t letters = 0, t_and_i = 0;
  for (const char c : utf8) {
    letters += c >= 'a' && c <= 'z';
    t_and_i += c == 't' || c == 'i';
  }
  constexpr size_t kMinLetters = 100;
  // Under a third of the least of those languages (Spanish, Portuguese: 11 %); chance leaves a
  // Latin text of 100 letters that low about once in a thousand pages.
  constexpr double kLanguageShare = 0.03;
  if (letters < kMinLetters) return LatinLetters::too_few;
  return static_cast<double>(t_and_i) >= kLanguageShare * static_cast<double>(letters) ? LatinLetters::language
                                                                                      : LatinLetters::lookalike;
}

std::string_view latin_language_by_letters(std::string_view utf8) {
  struct Distinct {
    std::string_view language;
    bool (*letter)(char32_t);
  };
  // Under half the share a PP reading that drops most of them leaves (3-4 %), and several times
  // the share of the nearest other language's (Croatian's đ).
  constexpr std::array<Distinct, 1> kLanguages{{{"vie", vietnamese_letter}}};
  constexpr size_t kMinLetters = 100;
  constexpr double kMinShare = 0.02;
  size_t latin = 0;
  std::array<size_t, kLanguages.size()> distinct{};
  for (size_t i = 0; i < utf8.size();) {
    const char32_t c = next_code_point(utf8, i);
    if (script_of(c) != Script::latin) continue;
    ++latin;
    for (size_t k = 0; k < kLanguages.size(); ++k) distinct[k] += kLanguages[k].letter(c);
  }
  if (latin < kMinLetters) return "";
  for (size_t k = 0; k < kLanguages.size(); ++k)
    if (static_cast<double>(distinct[k]) >= kMinShare * static_cast<double>(latin)) return kLanguages[k].language;
  return "";
}

std::vector<Letter> letters_of(std::string_view utf8) {
  std::vector<Letter> out;
  for (size_t i = 0; i < utf8.size();) {
    const char32_t c = next_code_point(utf8, i);
    if (script_of(c) != Script::unknown) out.push_back({c, base_letter(c)});
  }
  return out;
}

std::string_view auto_language(Script script) { return info(script).auto_language; }

std::string_view pp_language(Script script, const LanguageSpec& spec) {
  switch (script) {
    case Script::han: return spec.pp_language;
    case Script::japanese: return "jpn";
    case Script::latin: return "eng";
    default: return auto_language(script);  // a recognizer that reads Cyrillic, Greek, ... itself
  }
}

}  // namespace edgeocr::ocr
