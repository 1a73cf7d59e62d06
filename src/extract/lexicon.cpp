#include "extract/lexicon.h"

#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <vector>

#include "extract/values.h"

namespace edgeocr::extract {
namespace {

bool is_alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

struct Piece {
  std::string text;
  bool word = false;
};

// Runs of ASCII letters and digits (words) and what lies between them, in order.
std::vector<Piece> pieces(std::string_view text) {
  std::vector<Piece> out;
  for (char c : text) {
    bool word = is_alnum(c);
    if (out.empty() || out.back().word != word) out.push_back({std::string(), word});
    out.back().text += c;
  }
  return out;
}

// Longest word the segmentation considers; longer runs stay as read.
constexpr size_t kMaxWord = 24;
// Each split costs a factor of 1000 in probability: a word is split only when a known word
// takes a long stretch out of it ("UNIHAKKAINTERNATIONAL"), not where a short unknown rest would
// remain ("JAPAN|ESE"); printed names glue words too ("HASSANBISTRO").
constexpr double kSplitLogPenalty = -3.0;

}  // namespace

void Lexicon::add(std::string_view value) {
  for (const auto& p : pieces(value)) {
    if (!p.word) continue;
    ++counts_[to_upper_ascii(p.text)];
    ++total_;
  }
}

void Lexicon::remove(std::string_view value) {
  for (const auto& p : pieces(value)) {
    if (!p.word) continue;
    auto it = counts_.find(to_upper_ascii(p.text));
    if (it == counts_.end()) continue;
    --total_;
    if (--it->second == 0) counts_.erase(it);
  }
}

bool Lexicon::contains(std::string_view upper_word) const { return counts_.find(upper_word) != counts_.end(); }

// Unigram log10 probability; an unknown word gets less the longer it is, so splitting a long
// unknown run into a known word and a shorter rest wins (the usual word-segmentation model).
double Lexicon::log_probability(std::string_view upper_word) const {
  const double total = static_cast<double>(std::max<long>(1, total_));
  auto it = counts_.find(upper_word);
  if (it != counts_.end()) return std::log10(it->second / total);
  return 1.0 - std::log10(total) - static_cast<double>(upper_word.size());
}

std::string Lexicon::segment(const std::string& word) const {
  const size_t n = word.size();
  if (n < 5 || n > 64) return word;
  constexpr double kNone = -1e300;
  std::vector<double> best(n + 1, kNone);
  std::vector<size_t> from(n + 1, 0);
  best[0] = 0;
  for (size_t end = 1; end <= n; ++end)
    for (size_t begin = end > kMaxWord ? end - kMaxWord : 0; begin < end; ++begin) {
      if (best[begin] == kNone) continue;
      std::string_view piece(word.data() + begin, end - begin);
      // Known pieces of two letters or more; unknown ones of three or more (a stray letter
      // split off a word is more often a misreading than a word of its own).
      bool known = contains(piece);
      if (known ? piece.size() < 2 : piece.size() < 3 && !(begin == 0 && end == n)) continue;
      double score = best[begin] + log_probability(piece) + (begin > 0 ? kSplitLogPenalty : 0.0);
      if (score > best[end]) best[end] = score, from[end] = begin;
    }
  std::vector<std::string> parts;
  for (size_t end = n; end > 0; end = from[end]) parts.push_back(word.substr(from[end], end - from[end]));
  if (parts.size() < 2) return word;
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += (out.empty() ? "" : " ") + *it;
  return out;
}

std::string Lexicon::repair_word(const std::string& word) const {
  size_t digits = 0, letters = 0;
  for (char c : word) (is_digit(c) ? digits : letters) += 1;
  // A number with O read for 0 ("433OO").
  if (digits >= 3 && letters > 0 &&
      std::all_of(word.begin(), word.end(), [](char c) { return is_digit(c) || c == 'O'; })) {
    std::string out = word;
    std::replace(out.begin(), out.end(), 'O', '0');
    return out;
  }
  // A postcode glued to the town before or after it ("46600BATANG", "PUCHONG47100").
  for (bool digits_first : {true, false}) {
    size_t i = 0;
    auto first = [&](char c) { return digits_first ? is_digit(c) : is_letter(c); };
    while (i < word.size() && first(word[i])) ++i;
    const size_t head = i;
    while (i < word.size() && !first(word[i])) ++i;
    if (i != word.size() || head == 0 || head == word.size()) continue;
    const size_t tail = word.size() - head;
    if ((digits_first ? head : tail) != 5 || (digits_first ? tail : head) < 3) continue;
    auto part = [&](std::string p) { return is_letter(p[0]) && !contains(p) ? segment(p) : p; };
    return part(word.substr(0, head)) + " " + part(word.substr(head));
  }
  // A word with digits read for letters ("JA1AN", "L0T", and "C0" but not "U5").
  if (digits > 0 && (letters > digits || (letters == 1 && word.size() == 2 && word.find('0') != std::string::npos))) {
    for (char one : {'L', 'I'}) {
      std::string out = word;
      bool mapped = true;
      for (char& c : out) {
        if (!is_digit(c)) continue;
        if (c == '0') c = 'O';
        else if (c == '1') c = one;
        else if (c == '5') c = 'S';
        else if (c == '8') c = 'B';
        else mapped = false;
      }
      if (mapped && contains(out)) return out;
    }
    return word;
  }
  if (digits > 0) return word;
  return segment(word);
}


std::string Lexicon::repair(std::string_view text) const {
  if (counts_.empty() || contains_cjk(text)) return std::string(text);
  auto parts = pieces(text);
  // Words the OCR broke in two: join when the halves are not both known words and the whole is.
  for (size_t i = 0; i + 2 < parts.size(); ++i) {
    if (!parts[i].word || parts[i + 1].text != " " || !parts[i + 2].word) continue;
    std::string a = to_upper_ascii(parts[i].text), b = to_upper_ascii(parts[i + 2].text);
    if (contains(a) && contains(b)) continue;
    if (!contains(a + b)) continue;
    parts[i].text = a + b;
    parts.erase(parts.begin() + static_cast<long>(i) + 1, parts.begin() + static_cast<long>(i) + 3);
  }
  std::string out;
  for (const auto& p : parts) {
    if (!p.word) {
      out += p.text;
      continue;
    }
    std::string upper = to_upper_ascii(p.text);
    if (contains(upper)) {
      out += p.text;
      continue;
    }
    std::string repaired = repair_word(upper);
    out += repaired == upper ? p.text : repaired;
  }
  return out;
}

void Lexicon::write(std::ostream& out) const {
  out << "words " << counts_.size() << "\n";
  for (const auto& [word, count] : counts_) out << word << ' ' << count << "\n";
}

Lexicon Lexicon::read(std::istream& in) {
  std::string tag;
  size_t n = 0;
  if (!(in >> tag >> n) || tag != "words") throw std::runtime_error("expected 'words N'");
  Lexicon lexicon;
  for (size_t i = 0; i < n; ++i) {
    std::string word;
    int count = 0;
    if (!(in >> word >> count) || count <= 0 || !std::all_of(word.begin(), word.end(), is_alnum))
      throw std::runtime_error("malformed lexicon entry");
    lexicon.counts_[word] += count;
    lexicon.total_ += count;
  }
  return lexicon;
}

std::string KnownValues::key(std::string_view text) {
  std::string out;
  for (char c : text)
    if (is_alnum(c)) out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

void KnownValues::add(std::string_view value) {
  std::string v = collapse_spaces(value);
  std::replace(v.begin(), v.end(), '\n', ' ');
  std::string k = key(v);
  if (k.size() < 4) return;  // too little to tell two values apart by
  ++values_[k][v];
}

std::optional<KnownValues::Match> KnownValues::find(std::string_view text, std::string_view exclude) const {
  auto it = values_.find(key(text));
  if (it == values_.end()) return std::nullopt;
  const std::string excluded = exclude.empty() ? std::string() : collapse_spaces(exclude);
  std::optional<Match> best;
  for (const auto& [value, count] : it->second) {
    int n = count - (value == excluded ? 1 : 0);
    if (n > 0 && (!best || n > best->count)) best = Match{value, n};
  }
  return best;
}

void KnownValues::write(std::ostream& out) const {
  size_t n = 0;
  for (const auto& [k, values] : values_) n += values.size();
  out << "values " << n << "\n";
  for (const auto& [k, values] : values_)
    for (const auto& [value, count] : values) out << count << ' ' << value << "\n";
}

KnownValues KnownValues::read(std::istream& in) {
  std::string tag;
  size_t n = 0;
  if (!(in >> tag >> n) || tag != "values") throw std::runtime_error("expected 'values N'");
  KnownValues known;
  for (size_t i = 0; i < n; ++i) {
    int count = 0;
    std::string value;
    if (!(in >> count) || count <= 0 || in.get() != ' ' || !std::getline(in, value) || value.empty())
      throw std::runtime_error("malformed known value");
    std::string k = key(value);
    if (k.size() < 4) throw std::runtime_error("malformed known value");
    known.values_[k][value] += count;
  }
  return known;
}

std::string normalize_field_punctuation(std::string_view text) {
  if (contains_cjk(text)) return std::string(text);
  static const std::pair<std::string_view, char> kFullWidth[] = {
      {"\xEF\xBC\x8C", ','}, {"\xEF\xBC\x9A", ':'}, {"\xEF\xBC\x9B", ';'},
      {"\xEF\xBC\x88", '('}, {"\xEF\xBC\x89", ')'}, {"\xE3\x80\x82", '.'}};
  std::string ascii;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [wide, narrow] : kFullWidth)
      if (text.substr(i, wide.size()) == wide) {
        ascii += narrow;
        i += wide.size();
        replaced = true;
        break;
      }
    if (!replaced) ascii += text[i++];
  }
  std::string out;
  for (size_t i = 0; i < ascii.size(); ++i) {
    char c = ascii[i];
    if (c == '.' || c == ')') {
      while (!out.empty() && out.back() == ' ') out.pop_back();
    }
    if (c == '(' && !out.empty() && out.back() != ' ' && out.back() != '(' && out.back() != '-' && out.back() != '/')
      out += ' ';
    if (c == ' ' && !out.empty() && out.back() == '(') continue;
    out += c;
    if (c == ')' && i + 1 < ascii.size() && is_alnum(ascii[i + 1])) out += ' ';
  }
  return trim(out);
}

std::string space_commas(std::string_view text) {
  if (text.find(", ") == std::string_view::npos) return std::string(text);
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ',')
      while (!out.empty() && out.back() == ' ') out.pop_back();
    out += text[i];
    if (text[i] == ',' && i + 1 < text.size() && text[i + 1] != ' ' &&
        !(i > 0 && is_digit(text[i - 1]) && is_digit(text[i + 1])))
      out += ' ';
  }
  return out;
}

}  // namespace edgeocr::extract
