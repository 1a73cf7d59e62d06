// Repairs the reading of names and addresses towards how receipts' key fields are written.
// OCR of receipts drops and adds spaces inside words ("UNIHAKKAINTERNATIONAL", "STAT IONERY"),
// reads 1/l and 0/O for each other ("Ja1an", "433OO") and returns full-width punctuation from
// a Chinese dictionary ("，"); the field values are exact strings, so each of these makes an
// otherwise right line span wrong.
//
//   Lexicon words;
//   words.add("GARDENIA BAKERIES (KL) SDN BHD");          // from labelled field values
//   words.repair("GARDENIA BAKERIES(KL)SDNBHD");           // "GARDENIA BAKERIES(KL)SDN BHD"
//   normalize_field_punctuation("BAKERIES(KL) SDN");       // "BAKERIES (KL) SDN"
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace edgeocr::extract {

// Word counts of labelled values (ASCII letters and digits, upper-cased), used to split words
// the OCR glued together, join words it broke, and undo digit/letter confusions, but only for
// words it does not know: a known word is never changed.
class Lexicon {
 public:
  void add(std::string_view value);
  void remove(std::string_view value);  // undoes add(value)
  bool empty() const { return counts_.empty(); }
  bool contains(std::string_view upper_word) const;

  // The text with its unknown words repaired (repaired words come out upper-case; the rest,
  // spaces and punctuation as they were). Lines with CJK text are returned unchanged.
  std::string repair(std::string_view text) const;

  // Text form: "words N", then N lines "WORD COUNT".
  void write(std::ostream& out) const;
  static Lexicon read(std::istream& in);  // throws std::runtime_error on malformed input

 private:
  double log_probability(std::string_view upper_word) const;
  std::string repair_word(const std::string& upper_word) const;
  std::string segment(const std::string& upper_letters) const;

  std::map<std::string, int, std::less<>> counts_;
  long total_ = 0;
};

// Field values seen in labels, found again by their letters and digits alone: a shop's name or
// address read with other punctuation or spacing ("NO 290, JALAN AIR PANAS" read as
// "NO 290. JALAN AIR PANAS") is given back as its labels write it. Recurring shops are the
// common case on a chain's own receipts.
//
//   KnownValues known;
//   known.add("SETAPAK, 53200 KUALA LUMPUR.");
//   known.find("SETAPAK. 53200 KUALA LUMPUR");   // {"SETAPAK, 53200 KUALA LUMPUR.", 1}
class KnownValues {
 public:
  struct Match {
    std::string value;
    int count = 0;  // labelled pages that wrote it so
  };
  void add(std::string_view value);
  bool empty() const { return values_.empty(); }
  // The most often labelled value with the letters and digits of `text` (case-folded), if
  // any; `exclude` is taken out once first (a training page's own label, so that the learner
  // sees what a new page would get).
  std::optional<Match> find(std::string_view text, std::string_view exclude = {}) const;

  // Text form: "values N", then N lines "COUNT VALUE".
  void write(std::ostream& out) const;
  static KnownValues read(std::istream& in);  // throws std::runtime_error on malformed input

 private:
  // Letters and digits, upper-cased: what two writings of one value share.
  static std::string key(std::string_view text);
  std::map<std::string, std::map<std::string, int>, std::less<>> values_;  // key -> value -> count
};

// Spacing of punctuation as key fields write it: full-width ,:;() as ASCII, no space before a
// full stop or closing parenthesis, a space before '(' and after ')'. Lines with CJK text are
// returned unchanged.
std::string normalize_field_punctuation(std::string_view text);

// When a value has a comma followed by a space: no space before and one after each of its
// commas (the OCR drops the narrow gap after some; but some receipts print commas both ways, so
// this is one reading of two).
std::string space_commas(std::string_view text);

}  // namespace edgeocr::extract
