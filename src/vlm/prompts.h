// HunyuanOCR's documented task prompts (v1.0 README), in Chinese or English.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgeocr::vlm {

enum class Task {
  spot,       // text + coordinates
  text,       // plain text
  parse,      // document -> markdown
  table,      // table -> HTML
  formula,    // formula -> LaTeX
  extract,    // fields -> JSON (or one key -> its value)
  translate,  // extract text, then translate
  vqa,        // free-form question about the image
};

std::string_view to_string(Task task);
std::optional<Task> parse_task(std::string_view name);  // "spot", "parse", ... (also "ocr" = spot)

enum class Language { zh, en };
std::string_view to_string(Language language);

// True when the text contains CJK ideographs / kana / hangul (U+3000..U+9FFF, U+AC00..U+D7AF,
// U+F900..U+FAFF, U+FF00..U+FFEF, U+20000..U+2FFFF).
bool contains_cjk(std::string_view utf8);

// The prompt language follows the request: Chinese when the instruction/question/field names
// contain CJK, else `fallback` (Chinese by default: users report it works better).
Language request_language(std::string_view instruction, const std::vector<std::string>& fields,
                          Language fallback = Language::zh);

struct PromptRequest {
  Task task = Task::spot;
  Language language = Language::zh;
  std::vector<std::string> fields;   // extract
  std::string question;              // vqa (sent as is)
  std::string target_language = "en";  // translate: "en" or "zh"
};

// The exact prompt string for the task. Throws std::invalid_argument for extract without fields
// or vqa without a question.
std::string build_prompt(const PromptRequest& request);

// The language a translation instruction asks for: the one named after "into/to" or "成/为/到"
// ("translate this Chinese menu into English" / "把这张中文菜单翻译成英文" -> "en"); when only a
// source language is named, the other one; when none is named, "en".
std::string translation_target(std::string_view instruction);

// Whether a free-form instruction asks for translation ("translate", "翻译", "譯").
bool is_translation_instruction(std::string_view instruction);

}  // namespace edgeocr::vlm
