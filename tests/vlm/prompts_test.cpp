#include <gtest/gtest.h>

#include "vlm/backend.h"
#include "vlm/prompts.h"

namespace edgeocr::vlm {
namespace {

std::string prompt(Task task, Language lang) {
  PromptRequest r;
  r.task = task;
  r.language = lang;
  return build_prompt(r);
}

TEST(Prompts, ChinesePromptsAreTheDocumentedStrings) {
  EXPECT_EQ(prompt(Task::spot, Language::zh), "检测并识别图片中的文字，将文本坐标格式化输出。");
  EXPECT_EQ(prompt(Task::text, Language::zh), "提取图中的文字。");
  EXPECT_EQ(prompt(Task::parse, Language::zh),
            "提取文档图片中正文的所有信息用 markdown 格式表示，其中页眉、页脚部分忽略，表格用 html 格式表达，"
            "文档中公式用 latex 格式表示，按照阅读顺序组织进行解析。");
  EXPECT_EQ(prompt(Task::table, Language::zh), "把图中的表格解析为 HTML。");
  EXPECT_EQ(prompt(Task::formula, Language::zh), "识别图片中的公式，用 LaTeX 格式表示。");
  EXPECT_EQ(prompt(Task::translate, Language::zh),
            "先提取文字，再将文字内容翻译为英文。若是文档，则其中页眉、页脚忽略。公式用latex格式表示，表格用html格式表示。");
}

TEST(Prompts, EnglishSpottingPromptIsTheDocumentedOne) {
  EXPECT_EQ(prompt(Task::spot, Language::en),
            "Detect and recognize text in the image, and output the text coordinates in a formatted manner.");
}

TEST(Prompts, ExtractionWithOneOrSeveralKeys) {
  PromptRequest r;
  r.task = Task::extract;
  r.fields = {"总金额"};
  EXPECT_EQ(build_prompt(r), "输出 总金额 的值。");
  r.fields = {"总金额", "日期"};
  EXPECT_EQ(build_prompt(r), "提取图片中的: ['总金额','日期'] 的字段内容，并按照 JSON 格式返回。");
  r.language = Language::en;
  r.fields = {"total", "date"};
  EXPECT_EQ(build_prompt(r),
            "Extract the content of the fields: ['total','date'] from the image and return it in JSON format.");
  r.fields.clear();
  EXPECT_THROW(build_prompt(r), std::invalid_argument);
}

TEST(Prompts, LanguageFollowsTheRequest) {
  EXPECT_TRUE(contains_cjk("提取总金额"));
  EXPECT_TRUE(contains_cjk("total 合計"));
  EXPECT_TRUE(contains_cjk("영수증"));
  EXPECT_FALSE(contains_cjk("extract the total amount"));
  EXPECT_FALSE(contains_cjk("café ¥36.8"));
  EXPECT_EQ(request_language("extract the total", {}), Language::en);
  EXPECT_EQ(request_language("请翻译", {}), Language::zh);
  EXPECT_EQ(request_language("", {"发票号码"}), Language::zh);
  EXPECT_EQ(request_language("", {}, Language::zh), Language::zh);
  EXPECT_EQ(request_language("", {}, Language::en), Language::en);
}

TEST(Prompts, TranslationTargetAndDetection) {
  EXPECT_TRUE(is_translation_instruction("Translate this menu"));
  EXPECT_TRUE(is_translation_instruction("把菜单翻译成英文"));
  EXPECT_FALSE(is_translation_instruction("提取总金额"));
  EXPECT_EQ(translation_target("translate this menu"), "en");
  EXPECT_EQ(translation_target("translate this into Chinese"), "zh");
  // The target is the language after the direction word, not any language named.
  EXPECT_EQ(translation_target("translate this Chinese menu into English"), "en");
  EXPECT_EQ(translation_target("把这张中文菜单翻译成英文"), "en");
  EXPECT_EQ(translation_target("把这张英文菜单翻译成中文"), "zh");
  EXPECT_EQ(translation_target("Translate from English to Chinese"), "zh");
  EXPECT_EQ(translation_target("translate the Chinese menu"), "en");
  EXPECT_EQ(translation_target("翻译这份英文合同"), "zh");
  PromptRequest r;
  r.task = Task::translate;
  r.language = Language::en;
  r.target_language = "zh";
  EXPECT_EQ(build_prompt(r).rfind("First extract the text, then translate the text content into Chinese.", 0), 0u);
}

TEST(Prompts, RequestsMapToTasks) {
  EXPECT_EQ(to_prompt_request(make_request("", "translate this menu"), Language::zh).task, Task::translate);
  const auto vqa = to_prompt_request(make_request("", "What is the shop's phone number?"), Language::zh);
  EXPECT_EQ(vqa.task, Task::vqa);
  EXPECT_EQ(vqa.question, "What is the shop's phone number?");
  EXPECT_EQ(vqa.language, Language::en);
  EXPECT_EQ(build_prompt(vqa), "What is the shop's phone number?");
  const auto fields = to_prompt_request(make_request("extract", "", {"total", "date"}), Language::zh);
  EXPECT_EQ(fields.task, Task::extract);
  EXPECT_EQ(fields.language, Language::en);
  const auto receipt = to_prompt_request(make_request("extract", "", {}, "receipt"), Language::zh);
  EXPECT_EQ(receipt.fields, receipt_fields());
  EXPECT_EQ(to_prompt_request(make_request("parse"), Language::zh).task, Task::parse);
  EXPECT_THROW(make_request("dance"), std::invalid_argument);
  EXPECT_THROW(to_prompt_request(make_request("extract"), Language::zh), std::invalid_argument);
  EXPECT_THROW(to_prompt_request(make_request("vqa"), Language::zh), std::invalid_argument);
}

}  // namespace
}  // namespace edgeocr::vlm
