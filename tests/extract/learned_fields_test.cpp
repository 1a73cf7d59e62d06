// The learned field extractor on rendered receipts of a shop whose layout the rules do not know:
// the total is labelled in Malay ("JUMLAH") among larger cash and change amounts, and the shop's
// name is printed at the foot under a welcome line. Trained on a few labelled receipts, the model
// reads unseen receipts of that layout where the rules miss.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "extract/extract.h"
#include "extract/learned_fields.h"
#include "support/text_renderer.h"

namespace edgeocr::extract {
namespace {

struct Receipt {
  std::vector<std::string> rows;
  std::map<std::string, std::string> truth;
};

std::string money(int cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d.%02d", cents / 100, cents % 100);
  return buf;
}

// `name`: index of the shop's name, or -1 for a random one.
Receipt shop_receipt(std::mt19937& rng, int name_index = -1) {
  static const std::vector<std::string> kNames = {"KEDAI RUNCIT AH HOCK", "PASAR MINI SRI JAYA", "RESTORAN NASI KUKUS",
                                                  "KEDAI BUKU CAHAYA", "GERAI MAKAN PAK ALI", "KEDAI KOPI LIM",
                                                  "DOBI BERSIH MAJU", "KEDAI BASIKAL TAN", "FARMASI SIHAT BAIK",
                                                  "KEDAI ROTI MANIS", "PERNIAGAAN ZUL", "KEDAI EMAS KUANTAN"};
  static const std::vector<std::string> kItems = {"TEH TARIK", "ROTI CANAI", "MEE GORENG", "AIR KOSONG", "NASI LEMAK",
                                                  "KUIH", "KOPI O", "MILO AIS"};
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  Receipt r;
  const int drawn = pick(static_cast<int>(kNames.size()));
  const std::string name = kNames[static_cast<size_t>(name_index < 0 ? drawn : name_index % static_cast<int>(kNames.size()))];
  int day = 1 + pick(28), month = 1 + pick(12);
  char date[16];
  std::snprintf(date, sizeof date, "%02d/%02d/2019", day, month);
  r.rows = {"SELAMAT DATANG", std::string("TARIKH ") + date, ""};
  int total = 0;
  for (int i = 0, n = 2 + pick(3); i < n; ++i) {
    int cents = 150 + pick(2000);
    total += cents;
    r.rows.push_back(kItems[static_cast<size_t>(pick(static_cast<int>(kItems.size())))] + "\t" + money(cents));
  }
  int cash = (total / 1000 + 1) * 1000 + 5000;
  r.rows.insert(r.rows.end(), {"", "JUMLAH\t" + money(total), "TUNAI\t" + money(cash),
                               "BAKI\t" + money(cash - total), "", "TERIMA KASIH", name});
  r.truth = {{"company", name}, {"date", date}, {"total", money(total)}};
  return r;
}

ocr::OcrResult drawn_lines(const test::Page& page) {
  ocr::OcrResult r;
  r.width = page.image.cols;
  r.height = page.image.rows;
  int i = 0;
  for (const auto& l : page.lines) {
    ocr::TextLine t;
    t.text = l.text;
    t.box = l.box;
    t.confidence = 0.99f;
    t.row = t.order = i++;
    if (!r.text.empty()) r.text += '\n';
    r.text += l.text;
    r.lines.push_back(t);
  }
  return r;
}

class LearnedFields : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { renderer_ = std::make_unique<test::TextRenderer>(); }
  static void TearDownTestSuite() { renderer_.reset(); }
  static FieldExample render(const Receipt& receipt) {
    return {drawn_lines(test::compose_receipt(*renderer_, receipt.rows, 24, 640)), receipt.truth, "rendered", ""};
  }
  static std::unique_ptr<test::TextRenderer> renderer_;
};
std::unique_ptr<test::TextRenderer> LearnedFields::renderer_;

TEST_F(LearnedFields, LearnsALayoutTheRulesDoNotKnow) {
  std::mt19937 rng(7);
  std::vector<FieldExample> train, held_out;
  for (int i = 0; i < 12; ++i) train.push_back(render(shop_receipt(rng)));
  for (int i = 0; i < 6; ++i) held_out.push_back(render(shop_receipt(rng)));
  FieldTrainOptions options;
  options.boosting.rounds = 40;
  options.boosting.min_child_hessian = 0.1;
  FieldTrainReport report;
  auto model = std::make_shared<const FieldModel>(FieldModel::train(train, options, nullptr, &report));
  EXPECT_EQ(report.reachable["total"], 12);
  EXPECT_EQ(report.reachable["company"], 12);

  ExtractRequest rules_only;
  rules_only.schema = "receipt";
  ExtractRequest learned = rules_only;
  learned.fields_model = model;
  int rules_right = 0, learned_right = 0;
  for (const auto& ex : held_out) {
    auto by_rules = extract(ex.ocr, rules_only);
    auto by_model = extract(ex.ocr, learned);
    for (const char* name : {"company", "total"}) {
      const Field* r = by_rules.find(name);
      const Field* m = by_model.find(name);
      rules_right += r->found && r->value == ex.truth.at(name);
      learned_right += m->found && m->value == ex.truth.at(name);
      EXPECT_EQ(m->found ? m->value : "<missing>", ex.truth.at(name)) << name << "\n" << ex.ocr.text;
    }
    // The date is printed as the rules expect: the model keeps reading it too.
    EXPECT_EQ(by_model.find("date")->value, ex.truth.at("date"));
    EXPECT_GT(by_model.find("total")->confidence, 0.5);
  }
  EXPECT_EQ(learned_right, 12);
  EXPECT_LE(rules_right, 3) << "the rules should not know this layout";
  // Chinese pages stay with the rules, instructions included.
  auto chinese = render({{"星巴克咖啡有限公司", "日期：2026年1月15日 14:05", "拿铁 2 × 15.00\t30.00",
                          "曲奇 1 × 6.80\t6.80", "合计\t¥36.80"},
                         {}});
  ExtractRequest instruction;
  instruction.instruction = "提取日期和总金额";
  instruction.fields_model = model;
  auto j = to_json(extract(chinese.ocr, instruction));
  EXPECT_EQ(j["fields"]["total_amount"], "¥36.80");
  EXPECT_EQ(j["fields"]["date"], "2026年1月15日");
}

// The OCR glues words of a name together ("KEDAIRUNCIT AH HOCK"); the model reads the name as
// its labels write it, from the words of the names it was trained on.
TEST_F(LearnedFields, ReadsGluedWordsAsTheLabelsWriteThem) {
  std::mt19937 rng(5);
  std::vector<FieldExample> train;
  for (int i = 0; i < 12; ++i) train.push_back(render(shop_receipt(rng, i)));
  FieldTrainOptions options;
  options.boosting.rounds = 40;
  options.boosting.min_child_hessian = 0.1;
  auto model = FieldModel::train(train, options, nullptr);
  int glued = 0;
  for (int i = 0; i < 6; ++i) {
    auto ex = render(shop_receipt(rng));
    const std::string name = ex.truth.at("company");
    for (auto& line : ex.ocr.lines)
      if (line.text == name) {
        line.text.erase(line.text.find(' '), 1);
        ++glued;
      }
    auto layout = build_layout(ex.ocr);
    auto fields = model.predict(layout, analyze_receipt(layout));
    ASSERT_TRUE(fields.count("company"));
    EXPECT_EQ(field_match_key(fields.at("company").value), name) << ex.ocr.text;
  }
  EXPECT_EQ(glued, 6);
}

// A chain's labels write its shop's name their own way ("KEDAI ROTI MANIS."), not as printed:
// having seen it labelled so, the model gives the name back as labelled, which no reading of
// the printed line can.
TEST_F(LearnedFields, WritesARecurringShopsNameAsItsLabelsDo) {
  std::mt19937 rng(3);
  std::vector<FieldExample> train;
  for (int i = 0; i < 24; ++i) {
    auto receipt = shop_receipt(rng, i % 12);
    receipt.truth["company"] += ".";
    train.push_back(render(receipt));
  }
  FieldTrainOptions options;
  options.boosting.rounds = 40;
  options.boosting.min_child_hessian = 0.1;
  auto model = FieldModel::train(train, options, nullptr);
  for (int i = 0; i < 4; ++i) {
    auto ex = render(shop_receipt(rng, 3 * i));
    auto layout = build_layout(ex.ocr);
    auto rules = analyze_receipt(layout);
    auto fields = model.predict(layout, rules);
    ASSERT_TRUE(fields.count("company"));
    EXPECT_EQ(fields.at("company").value, ex.truth.at("company") + ".") << ex.ocr.text;
  }
}

TEST_F(LearnedFields, SavedModelReadsTheSameAndBaseTrainingContinues) {
  std::mt19937 rng(11);
  std::vector<FieldExample> train;
  for (int i = 0; i < 8; ++i) train.push_back(render(shop_receipt(rng)));
  FieldTrainOptions options;
  options.boosting.rounds = 10;
  options.boosting.min_child_hessian = 0.1;
  auto model = FieldModel::train(train, options, nullptr);
  auto path = std::filesystem::temp_directory_path() / ("edgeocr-fields-test-" + std::to_string(::getpid()));
  model.save(path);
  auto loaded = FieldModel::load(path);
  auto continued = FieldModel::train(train, options, &loaded);
  auto layout = build_layout(train[0].ocr);
  auto rules = analyze_receipt(layout);
  auto a = model.predict(layout, rules), b = loaded.predict(layout, rules);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, f] : a) {
    EXPECT_EQ(f.value, b.at(name).value);
    EXPECT_NEAR(f.confidence, b.at(name).confidence, 1e-6);
  }
  // Ten more rounds on the same pages raise the confidence of the right answers.
  EXPECT_GT(continued.predict(layout, rules).at("total").confidence, a.at("total").confidence);
  std::filesystem::remove(path);
  // A file that is not a model is refused with its name.
  {
    std::ofstream(path) << "not a model\n";
  }
  EXPECT_THROW(FieldModel::load(path), std::runtime_error);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace edgeocr::extract
