// The receipt schema, instruction-driven extraction and cross-checks on synthetic pages.
#include <gtest/gtest.h>

#include "extract/extract.h"
#include "synthetic.h"

namespace edgeocr::extract {
namespace {

using testing::make_page;
using testing::SyntheticLine;

std::vector<SyntheticLine> malaysian_receipt(const std::string& total) {
  return {{"SAM SAM TRADING CO SDN BHD", 130, 68, 540, 36},
          {"(742016-W)", 325, 111, 150, 36},
          {"67,JLN MEWAH 25/63 TMN SRI MUDA,", 158, 150, 480, 38},
          {"40400 SHAH ALAM.", 277, 190, 240, 34},
          {"TEL/FAX : 03-51213881", 233, 228, 320, 34},
          {"GST NO: 001006288896", 246, 268, 310, 34},
          {"TAX INVOICE", 305, 349, 170, 32},
          {"DATE: 29-12-2017 10:31:22", 60, 390, 400, 32},
          {"QTY DESC PRICE AMOUNT", 60, 423, 600, 32},
          {"SUPER GLUE", 94, 463, 200, 32},
          {"1 X 5.20", 379, 466, 120, 32},
          {"5.20 S", 605, 466, 100, 32},
          {"A4 COLOR PAPER", 94, 503, 240, 32},
          {"1 X 8.90", 379, 546, 120, 32},
          {"8.90 S", 605, 546, 100, 32},
          {"SUBTOTAL", 94, 620, 160, 32},
          {"14.10", 605, 620, 100, 32},
          {"TOTAL", 94, 660, 120, 32},
          {total, 605, 660, 100, 32},
          {"CASH", 94, 700, 100, 32},
          {"20.00", 605, 700, 100, 32},
          {"CHANGE", 94, 740, 120, 32},
          {"5.90", 605, 740, 100, 32}};
}

TEST(ReceiptSchema, MalaysianReceipt) {
  ExtractRequest req;
  req.schema = "receipt";
  auto r = extract(make_page(malaysian_receipt("14.10")), req);
  EXPECT_EQ(r.schema, "receipt");
  auto value = [&](const char* name) {
    const Field* f = r.find(name);
    return f && f->found ? f->value : std::string("<missing>");
  };
  EXPECT_EQ(value("company"), "SAM SAM TRADING CO SDN BHD");
  EXPECT_EQ(value("address"), "67,JLN MEWAH 25/63 TMN SRI MUDA, 40400 SHAH ALAM.");
  EXPECT_EQ(value("date"), "29-12-2017");
  EXPECT_EQ(r.find("date")->normalized, "2017-12-29");
  EXPECT_EQ(value("time"), "10:31:22");
  EXPECT_EQ(value("total"), "14.10");
  EXPECT_EQ(value("subtotal"), "14.10");
  EXPECT_EQ(value("payment_method"), "CASH");
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[0].name, "SUPER GLUE");
  EXPECT_DOUBLE_EQ(r.items[0].quantity.value_or(0), 1);
  EXPECT_DOUBLE_EQ(r.items[0].unit_price.value_or(0), 5.2);
  EXPECT_DOUBLE_EQ(r.items[0].amount.value_or(0), 5.2);
  EXPECT_EQ(r.items[1].name, "A4 COLOR PAPER");
  ASSERT_FALSE(r.checks.empty());
  EXPECT_TRUE(r.checks[0].passed) << r.checks[0].detail;
  // The total's source box is the value's line joined with its key's line.
  const Field* total = r.find("total");
  EXPECT_GE(total->line_indices.size(), 2u);
  EXPECT_NEAR(total->box[0].x, 94, 1);
  EXPECT_NEAR(total->box[2].x, 705, 1);
}

TEST(ReceiptSchema, CrossChecksMoveConfidence) {
  ExtractRequest req;
  req.schema = "receipt";
  // A total below the subtotal is inconsistent: the total's confidence must drop.
  auto good = extract(make_page(malaysian_receipt("14.10")), req);
  auto bad = extract(make_page(malaysian_receipt("9.10")), req);
  ASSERT_TRUE(good.find("total")->found);
  ASSERT_TRUE(bad.find("total")->found);
  EXPECT_EQ(bad.find("total")->value, "9.10");
  EXPECT_GT(good.find("total")->confidence, bad.find("total")->confidence + 0.2);
  bool any_failed = false;
  for (const auto& c : bad.checks) any_failed |= !c.passed;
  EXPECT_TRUE(any_failed);
  for (const auto& c : good.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.detail;
}

std::vector<SyntheticLine> chinese_receipt() {
  return {{"星巴克咖啡有限公司", 200, 40, 400, 40},
          {"地址：上海市浦东新区世纪大道100号", 100, 90, 600, 30},
          {"电话：021-58881234", 100, 130, 300, 30},
          {"税号：91310000MA1FL4XQ3T", 100, 170, 400, 30},
          {"发票号码：04412345", 100, 210, 300, 30},
          {"日期：2026年1月15日 14:05", 100, 250, 400, 30},
          {"品名 数量 单价 金额", 100, 300, 600, 30},
          {"拿铁 2 × ¥15.0 ¥30.0", 100, 340, 600, 30},
          {"曲奇 1 × ¥6.8 ¥6.8", 100, 380, 600, 30},
          {"合计：¥36.8", 100, 440, 300, 30},
          {"支付方式：微信支付", 100, 480, 300, 30}};
}

TEST(Instructions, ChineseTotalAmount) {
  auto page = make_page(chinese_receipt());
  for (const char* text : {"请提取总金额", "提取总金额"}) {
    ExtractRequest req;
    req.instruction = text;
    auto j = to_json(extract(page, req));
    EXPECT_EQ(j["fields"], (nlohmann::json{{"total_amount", "¥36.8"}})) << j.dump();
    EXPECT_EQ(j["details"]["total_amount"]["normalized"], "36.80");
    EXPECT_EQ(j["details"]["total_amount"]["currency"], "CNY");
  }
  ExtractRequest en;
  en.instruction = "extract the total amount";
  EXPECT_EQ(to_json(extract(page, en))["fields"]["total_amount"], "¥36.8");
}

TEST(Instructions, DateAndTotalAndCustomKeys) {
  auto page = make_page(chinese_receipt());
  ExtractRequest req;
  req.instruction = "提取日期和总金额";
  auto j = to_json(extract(page, req));
  EXPECT_EQ(j["fields"]["date"], "2026年1月15日");
  EXPECT_EQ(j["details"]["date"]["normalized"], "2026-01-15");
  EXPECT_EQ(j["fields"]["total_amount"], "¥36.8");

  ExtractRequest list;
  list.fields = {"total_amount", "date", "tax", "发票号码", "payment_method", "phone", "tax_id"};
  auto r = extract(page, list);
  EXPECT_EQ(r.find("发票号码")->value, "04412345");
  EXPECT_FALSE(r.find("tax")->found);  // not printed: reported as missing, not invented
  EXPECT_EQ(r.find("payment_method")->normalized, "wechat_pay");
  EXPECT_EQ(r.find("phone")->normalized, "02158881234");
  EXPECT_EQ(r.find("tax_id")->value, "91310000MA1FL4XQ3T");
  EXPECT_TRUE(to_json(r)["fields"]["tax"].is_null());
}

TEST(Instructions, ChineseSchemaItemsAndChecks) {
  ExtractRequest req;
  req.schema = "receipt";
  auto r = extract(make_page(chinese_receipt()), req);
  EXPECT_EQ(r.find("company")->value, "星巴克咖啡有限公司");
  EXPECT_EQ(r.find("address")->value, "上海市浦东新区世纪大道100号");
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[0].name, "拿铁");
  EXPECT_DOUBLE_EQ(r.items[0].quantity.value_or(0), 2);
  EXPECT_DOUBLE_EQ(r.items[0].unit_price.value_or(0), 15);
  EXPECT_DOUBLE_EQ(r.items[0].amount.value_or(0), 30);
  ASSERT_FALSE(r.checks.empty());
  EXPECT_EQ(r.checks[0].name, "items_sum_vs_total");
  EXPECT_TRUE(r.checks[0].passed);
  auto j = to_json(r);
  EXPECT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["schema"], "receipt");
}

TEST(Instructions, EnglishCustomKeyOnEnglishReceipt) {
  auto page = make_page({{"ACME STORE", 100, 20, 300, 30},
                         {"Invoice No.", 50, 100, 150, 30},
                         {"INV-2026-0042", 400, 100, 200, 30},
                         {"TOTAL", 50, 200, 100, 30},
                         {"$12.00", 400, 200, 100, 30}});
  ExtractRequest req;
  req.instruction = "extract the invoice number and the total";
  auto r = extract(page, req);
  ASSERT_EQ(r.fields.size(), 2u);
  EXPECT_EQ(r.fields[0].name, "invoice_number");
  EXPECT_EQ(r.fields[0].value, "INV-2026-0042");
  EXPECT_EQ(r.fields[1].display, "$12.00");
}

TEST(Instructions, UnsupportedThrowsBeforeReading) {
  ExtractRequest req;
  req.instruction = "translate this menu";
  EXPECT_THROW(extract(make_page(chinese_receipt()), req), UnsupportedInstruction);
}

TEST(ReceiptSchema, EmptyPageFindsNothing) {
  ExtractRequest req;
  req.schema = "receipt";
  auto r = extract(ocr::OcrResult{}, req);
  for (const auto& f : r.fields) EXPECT_FALSE(f.found) << f.name;
  EXPECT_TRUE(r.items.empty());
}

}  // namespace
}  // namespace edgeocr::extract
