// Instruction mapping in Chinese and English, explicit field lists, unsupported instructions.
#include <gtest/gtest.h>

#include "extract/extract.h"
#include "extract/instruction.h"
#include "extract/values.h"

namespace edgeocr::extract {
namespace {

std::vector<std::string> fields_of(const std::string& instruction) {
  ExtractRequest r;
  r.instruction = instruction;
  return resolve_fields(r);
}

TEST(Instruction, ChineseTotal) {
  EXPECT_EQ(fields_of("请提取总金额"), std::vector<std::string>{"total_amount"});
  EXPECT_EQ(fields_of("提取总金额"), std::vector<std::string>{"total_amount"});
  EXPECT_EQ(fields_of("帮我识别一下这张小票的合计金额。"), std::vector<std::string>{"total_amount"});
}

TEST(Instruction, EnglishTotal) {
  EXPECT_EQ(fields_of("extract the total amount"), std::vector<std::string>{"total_amount"});
  EXPECT_EQ(fields_of("Extract the Total Amount."), std::vector<std::string>{"total_amount"});
  EXPECT_EQ(fields_of("What is the total?"), std::vector<std::string>{"total_amount"});
}

TEST(Instruction, SeveralFields) {
  EXPECT_EQ(fields_of("提取日期和总金额"), (std::vector<std::string>{"date", "total_amount"}));
  EXPECT_EQ(fields_of("请提取商家名称、地址、日期以及税额"),
            (std::vector<std::string>{"company", "address", "date", "tax"}));
  EXPECT_EQ(fields_of("extract the merchant, date and total amount"),
            (std::vector<std::string>{"company", "date", "total_amount"}));
}

TEST(Instruction, CustomKeys) {
  EXPECT_EQ(fields_of("提取发票号码"), std::vector<std::string>{"发票号码"});
  EXPECT_EQ(fields_of("extract the invoice no."), std::vector<std::string>{"invoice_no"});
  ExtractRequest r;
  r.instruction = "提取发票号码";
  auto specs = resolve_specs(r);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_TRUE(specs[0].canonical.empty());
  // The key texts include known synonyms so an English receipt's "Invoice No" is found too.
  EXPECT_NE(std::find(specs[0].key_texts.begin(), specs[0].key_texts.end(), "invoice no"),
            specs[0].key_texts.end());
}

TEST(Instruction, ExplicitFieldList) {
  ExtractRequest r;
  r.fields = {"total_amount", "date", "tax", "Invoice No."};
  auto specs = resolve_specs(r);
  ASSERT_EQ(specs.size(), 4u);
  EXPECT_EQ(specs[0].canonical, "total");
  EXPECT_EQ(specs[1].canonical, "date");
  EXPECT_EQ(specs[2].canonical, "tax");
  EXPECT_EQ(specs[3].name, "Invoice No.");
  EXPECT_TRUE(specs[3].canonical.empty());
}

TEST(Instruction, SchemaAndUnion) {
  ExtractRequest r;
  r.schema = "receipt";
  r.instruction = "提取电话";
  auto names = resolve_fields(r);
  EXPECT_EQ(names.front(), "company");
  EXPECT_EQ(names.back(), "phone");
  EXPECT_NE(std::find(names.begin(), names.end(), "total"), names.end());
}

TEST(Instruction, UnsupportedNamesTheVlmBackend) {
  for (const char* text : {"translate this menu", "翻译这张菜单", "summarize this receipt",
                           "Why is the tax so high?", "这顿饭健康吗？",
                           "how much did I spend on drinks?", "tell me a joke about the cashier "
                                                              "and the manager on duty today"}) {
    try {
      fields_of(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const UnsupportedInstruction& e) {
      EXPECT_EQ(UnsupportedInstruction::code(), "unsupported_instruction");
      std::string msg = e.what();
      EXPECT_NE(msg.find("--backend openai"), std::string::npos) << msg;
      EXPECT_NE(msg.find("hybrid"), std::string::npos) << msg;
      auto j = to_json(e);
      EXPECT_EQ(j["error"]["code"], "unsupported_instruction");
    }
  }
}

TEST(Instruction, LongChineseInstructionIsQuotedAsWholeCharacters) {
  std::string text;
  while (text.size() <= 2000) text += "请把这张收据的总金额找出来";  // 3-byte characters: byte 100 is inside one
  try {
    fields_of(text);
    ADD_FAILURE() << "accepted a 2000-byte instruction";
  } catch (const UnsupportedInstruction& e) {
    const std::string message = e.what();
    EXPECT_EQ(to_utf8(to_u32(message)), message) << "not valid UTF-8";
    EXPECT_NE(message.find("请把这张收据"), std::string::npos);
  }
  EXPECT_EQ(utf8_prefix("总金额", 4), "总");
  EXPECT_EQ(utf8_prefix("总金额", 6), "总金");
  EXPECT_EQ(utf8_prefix("ab", 5), "ab");
}

TEST(Instruction, InvalidRequests) {
  EXPECT_THROW(resolve_fields(ExtractRequest{}), InvalidRequest);
  ExtractRequest r;
  r.schema = "passport";
  EXPECT_THROW(resolve_fields(r), InvalidRequest);
  ExtractRequest f;
  f.fields = {"  "};
  EXPECT_THROW(resolve_fields(f), InvalidRequest);
}

TEST(Instruction, CanonicalFieldSynonyms) {
  EXPECT_EQ(canonical_field("总金额"), "total");
  EXPECT_EQ(canonical_field("Grand Total"), "total");
  EXPECT_EQ(canonical_field("税号"), "tax_id");
  EXPECT_EQ(canonical_field("payment method"), "payment_method");
  EXPECT_EQ(canonical_field("发票号码"), "");
}

}  // namespace
}  // namespace edgeocr::extract
