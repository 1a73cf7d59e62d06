// Language choice for the recognizer-routing stage: Tesseract-style codes joined by '+'
// (`chi_sim+eng`, `ara`, `auto`), the script a text is written in, and where the Tesseract
// language packs live.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace edgeocr::ocr {

// A language that cannot be used: unknown code, or its Tesseract pack is not installed (the
// message then names the Debian package).
class LanguageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

inline constexpr std::string_view kDefaultLanguages = "chi_sim+eng";

struct LanguageSpec {
  bool automatic = false;               // `auto`: the script of each line chooses the recognizer
  bool pp = false;                      // some code is read by the PP recognizer (Chinese/English)
  std::vector<std::string> tesseract;   // codes read by Tesseract LSTM, in the order given
  std::string pp_language = "chi_sim";  // the language reported for PP lines that hold Han
};

// Parses `chi_sim+eng`, `ara+eng`, `auto`. `ch`/`zh` mean chi_sim and `en` eng (PaddleOCR's
// names). Codes other than Chinese/English go to Tesseract. Throws LanguageError for an empty or
// malformed code (the pack itself is checked by require_language_packs).
LanguageSpec parse_languages(std::string_view spec);

// The Tesseract traineddata folder: `configured` when given, else $TESSDATA_PREFIX (the folder
// itself, as Tesseract 5 reads it), else Debian's /usr/share/tesseract-ocr/5/tessdata.
std::filesystem::path tessdata_dir(const std::filesystem::path& configured = {});

// The Debian package that installs a Tesseract language: chi_sim -> tesseract-ocr-chi-sim.
std::string debian_language_package(std::string_view code);

bool language_pack_installed(const std::filesystem::path& tessdata, std::string_view code);

// Throws LanguageError naming the Debian package of the first missing pack.
void require_language_packs(const std::filesystem::path& tessdata, const std::vector<std::string>& codes);

// Writing systems the router tells apart. Han covers Chinese characters; Japanese is a line
// with Kana (usually mixed with Han).
enum class Script { unknown, latin, han, japanese, hangul, arabic, hebrew, cyrillic, greek, devanagari, thai };

std::string_view script_name(Script script);  // "Latin", "Han", "Japanese", ...
Script script_from_name(std::string_view name);  // Tesseract OSD's names ("Arabic", "Katakana", ...)
// The script most of the letters of a UTF-8 text belong to (digits, punctuation and spaces do not
// count; Kana anywhere makes Han text Japanese). unknown when there are no letters.
Script dominant_script(std::string_view utf8);
// Whether text read in Latin letters (a page's readings together) is written in a Latin-script
// language, judged by its letters: every such language writes lower-case t and i often (together
// 10-16 % of its lower-case letters in English, French, German, Spanish, Italian, Portuguese,
// Dutch, Indonesian, Vietnamese), while a recognizer without Cyrillic reads Russian as Latin
// look-alikes that almost never hold them (Russian has no i; т reads as m or T, и as u, п as n).
// too_few: under 100 lower-case Latin letters, too few to judge.
enum class LatinLetters { too_few, language, lookalike };
LatinLetters judge_latin_letters(std::string_view utf8);
// The Latin-script language a text's letters single out among those the PP recognizer reads
// only in part: Vietnamese ("vie") writes ơ ư đ ĩ ũ and letters with stacked or dot-below marks
// (U+1EA0-U+1EF9) that no other widely written language uses, about 10 % of its letters. A PP
// recognizer that knows a few of them (v6: ơ ư đ) and drops the rest still leaves 3-4 % in its
// reading; other languages leave none (Croatian's đ: well under 1 %). "" when no language stands
// out, or under 100 Latin letters (too few to judge).
std::string_view latin_language_by_letters(std::string_view utf8);
// A letter of a text, for comparing two readings of one line: the code point and its base (a
// Latin letter without its marks, in lower case: ư, Ư and u alike; other letters as they are).
struct Letter {
  char32_t code = 0;
  char32_t base = 0;
};
// The letters of a UTF-8 text in order; digits, punctuation and spaces dropped.
std::vector<Letter> letters_of(std::string_view utf8);
// The Tesseract language that reads a script in `auto` mode ("" for Latin/Han: the PP recognizer).
std::string_view auto_language(Script script);
// The language reported for a line of `script` read by the PP recognizer.
std::string_view pp_language(Script script, const LanguageSpec& spec);

}  // namespace edgeocr::ocr
