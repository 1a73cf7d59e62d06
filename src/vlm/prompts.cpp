#include "vlm/prompts.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

#include "common/text.h"

namespace edgeocr::vlm {
namespace {

// Decodes one UTF-8 code point at `i` (advancing it); invalid bytes decode as U+FFFD.
char32_t next_code_point(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int extra = 0;
  char32_t cp = 0;
  if (b0 < 0x80) { ++i; return b0; }
  if ((b0 & 0xE0) == 0xC0) { extra = 1; cp = b0 & 0x1F; }
  else if ((b0 & 0xF0) == 0xE0) { extra = 2; cp = b0 & 0x0F; }
  else if ((b0 & 0xF8) == 0xF0) { extra = 3; cp = b0 & 0x07; }
  else { ++i; return 0xFFFD; }
  if (i + extra >= s.size()) { i = s.size(); return 0xFFFD; }
  for (int k = 1; k <= extra; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) { ++i; return 0xFFFD; }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += extra + 1;
  return cp;
}

// Python-style list literal the documented prompt uses: ['key1','key2']
std::string python_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ",";
    out += "'" + items[i] + "'";
  }
  return out + "]";
}

}  // namespace

std::string_view to_string(Task task) {
  switch (task) {
    case Task::spot: return "spot";
    case Task::text: return "text";
    case Task::parse: return "parse";
    case Task::table: return "table";
    case Task::formula: return "formula";
    case Task::extract: return "extract";
    case Task::translate: return "translate";
    case Task::vqa: return "vqa";
  }
  return "unknown";
}

std::optional<Task> parse_task(std::string_view name) {
  const std::string n = common::ascii_lower(name);
  if (n == "spot" || n == "ocr" || n == "spotting") return Task::spot;
  if (n == "text") return Task::text;
  if (n == "parse" || n == "markdown") return Task::parse;
  if (n == "table") return Task::table;
  if (n == "formula") return Task::formula;
  if (n == "extract" || n == "extraction") return Task::extract;
  if (n == "translate" || n == "translation") return Task::translate;
  if (n == "vqa" || n == "ask" || n == "question") return Task::vqa;
  return std::nullopt;
}

std::string_view to_string(Language language) { return language == Language::zh ? "zh" : "en"; }

bool contains_cjk(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const char32_t cp = next_code_point(s, i);
    if ((cp >= 0x3000 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFF00 && cp <= 0xFFEF) || (cp >= 0x20000 && cp <= 0x2FFFF)) {
      return true;
    }
  }
  return false;
}

Language request_language(std::string_view instruction, const std::vector<std::string>& fields, Language fallback) {
  bool any_text = !instruction.empty();
  if (contains_cjk(instruction)) return Language::zh;
  for (const auto& f : fields) {
    if (contains_cjk(f)) return Language::zh;
    any_text = any_text || !f.empty();
  }
  return any_text ? Language::en : fallback;
}

std::string build_prompt(const PromptRequest& r) {
  const bool zh = r.language == Language::zh;
  switch (r.task) {
    case Task::spot:
      return zh ? "检测并识别图片中的文字，将文本坐标格式化输出。"
                : "Detect and recognize text in the image, and output the text coordinates in a formatted manner.";
    case Task::text:
      return zh ? "提取图中的文字。" : "Extract the text in the image.";
    case Task::parse:
      return zh ? "提取文档图片中正文的所有信息用 markdown 格式表示，其中页眉、页脚部分忽略，表格用 html 格式表达，"
                  "文档中公式用 latex 格式表示，按照阅读顺序组织进行解析。"
                : "Extract all information from the main body of the document image and represent it in markdown "
                  "format, ignoring headers and footers. Tables should be expressed in HTML format, formulas in the "
                  "document should be represented using LaTeX format, and the parsing should be organized according "
                  "to the reading order.";
    case Task::table:
      return zh ? "把图中的表格解析为 HTML。" : "Parse the table in the image into HTML.";
    case Task::formula:
      return zh ? "识别图片中的公式，用 LaTeX 格式表示。"
                : "Identify the formula in the image and represent it using LaTeX format.";
    case Task::extract:
      if (r.fields.empty()) throw std::invalid_argument("VLM extraction needs at least one field name");
      if (r.fields.size() == 1) {
        return zh ? "输出 " + r.fields[0] + " 的值。" : "Output the value of " + r.fields[0] + ".";
      }
      return zh ? "提取图片中的: " + python_list(r.fields) + " 的字段内容，并按照 JSON 格式返回。"
                : "Extract the content of the fields: " + python_list(r.fields) +
                      " from the image and return it in JSON format.";
    case Task::translate: {
      const bool to_zh = r.target_language == "zh";
      if (zh) {
        return std::string("先提取文字，再将文字内容翻译为") + (to_zh ? "中文" : "英文") +
               "。若是文档，则其中页眉、页脚忽略。公式用latex格式表示，表格用html格式表示。";
      }
      return std::string("First extract the text, then translate the text content into ") +
             (to_zh ? "Chinese" : "English") +
             ". If it is a document, ignore the header and footer. Formulas should be represented in LaTeX format, "
             "and tables should be represented in HTML format.";
    }
    case Task::vqa:
      if (r.question.empty()) throw std::invalid_argument("VLM question answering needs a question");
      return r.question;
  }
  throw std::invalid_argument("unknown VLM task");
}

std::string translation_target(std::string_view instruction) {
  const std::string l = common::ascii_lower(instruction);
  struct Name {
    const char* text;
    const char* language;
  };
  static const Name names[] = {{"chinese", "zh"}, {"mandarin", "zh"}, {"中文", "zh"}, {"汉语", "zh"}, {"漢語", "zh"},
                               {"简体", "zh"},    {"繁体", "zh"},     {"繁體", "zh"}, {"華語", "zh"}, {"华语", "zh"},
                               {"english", "en"}, {"英文", "en"},     {"英语", "en"}, {"英語", "en"}};
  // A language right after a direction word is the target ("into English", "翻译成英文"); a language
  // named elsewhere is the source ("this Chinese menu", "把这张中文菜单").
  static const char* markers[] = {"into ", "to ", "成", "为", "為", "到"};
  std::optional<std::string> target, source;
  for (const Name& name : names) {
    for (size_t at = l.find(name.text); at != std::string::npos; at = l.find(name.text, at + 1)) {
      bool after_marker = false;
      for (const char* marker : markers) {
        const std::string_view m(marker);
        if (at >= m.size() && std::string_view(l).substr(at - m.size(), m.size()) == m) after_marker = true;
      }
      (after_marker ? target : source) = name.language;
    }
  }
  if (target) return *target;
  if (source) return *source == "zh" ? "en" : "zh";  // only the source is named: the other one
  return "en";
}

bool is_translation_instruction(std::string_view instruction) {
  const std::string l = common::ascii_lower(instruction);
  return l.find("translat") != std::string::npos || l.find("翻译") != std::string::npos ||
         l.find("翻譯") != std::string::npos || l.find("译成") != std::string::npos;
}

}  // namespace edgeocr::vlm
