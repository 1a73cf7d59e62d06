#include "extract/instruction.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "extract/values.h"

namespace edgeocr::extract {
namespace {

struct Vocabulary {
  const char* canonical;
  std::vector<std::string_view> phrases;
};

const std::vector<Vocabulary>& vocabulary() {
  static const std::vector<Vocabulary> kVocabulary = {
      {"total",
       {"total", "total_amount", "total amount", "grand total", "amount due", "amount payable",
        "total price", "total due", "amount", "how much", "total paid", "总金额", "总额", "合计",
        "合计金额", "总计", "总价", "金额", "应付金额", "应付", "实付金额", "实付", "实收",
        "价税合计", "消费金额", "多少钱", "总共多少钱", "一共多少钱", "付款金额", "支付金额",
        "總金額", "合計", "總計"}},
      {"subtotal", {"subtotal", "sub total", "sub-total", "小计", "金额小计", "不含税金额", "小計"}},
      {"tax",
       {"tax", "tax amount", "gst", "gst amount", "sst", "vat", "税额", "税金", "税", "税费",
        "合计税额", "稅額"}},
      {"date",
       {"date", "purchase date", "transaction date", "invoice date", "receipt date", "日期",
        "开票日期", "消费日期", "交易日期", "购买日期"}},
      {"time", {"time", "transaction time", "purchase time", "时间", "消费时间", "交易时间"}},
      {"company",
       {"company", "company name", "merchant", "merchant name", "store", "store name", "shop",
        "shop name", "vendor", "vendor name", "seller", "business name", "商家", "商家名称",
        "商户", "商户名称", "店名", "店铺", "店铺名称", "公司", "公司名称", "销售方",
        "销售方名称", "商店", "门店", "门店名称"}},
      {"address",
       {"address", "store address", "shop address", "company address", "地址", "商家地址",
        "店铺地址", "公司地址", "门店地址"}},
      {"phone",
       {"phone", "phone number", "telephone", "tel", "contact number", "电话", "电话号码",
        "联系电话", "手机", "手机号"}},
      {"tax_id",
       {"tax id", "tax_id", "tax number", "tax registration number", "gst no", "gst number",
        "gst reg no", "gst id", "vat number", "registration number", "税号",
        "纳税人识别号", "统一社会信用代码"}},
      {"payment_method",
       {"payment method", "payment_method", "payment", "payment type", "paid by",
        "支付方式", "付款方式", "结算方式", "支付类型"}},
      {"items",
       {"items", "line items", "products", "goods", "item list", "purchased items", "商品",
        "商品明细", "明细", "项目", "菜品", "购买商品", "商品列表", "消费明细"}},
  };
  return kVocabulary;
}

// Keys that label common values which have no canonical field: found by key text.
const std::vector<std::vector<std::string_view>>& custom_key_groups() {
  static const std::vector<std::vector<std::string_view>> kGroups = {
      {"发票号码", "发票号", "票号", "单号", "小票号", "流水号", "invoice no", "invoice number",
       "invoice #", "invoice", "inv no", "bill no", "receipt no", "receipt number", "document no",
       "doc no", "tax invoice"},
      {"发票代码", "invoice code"},
      {"收银员", "cashier"},
      {"桌号", "table", "table no"},
      {"会员号", "member", "member no", "membership no"},
  };
  return kGroups;
}

// Lower-cases ASCII and drops spaces, '_', '-', '.', ':' so "Invoice No." == "invoice_no".
std::string fold(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ' ' || c == '_' || c == '-' || c == '.' || c == ':' || c == '\t') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string full_colon = "\xEF\xBC\x9A";
  for (size_t p; (p = out.find(full_colon)) != std::string::npos;) out.erase(p, 3);
  return out;
}

// " word " without operator+(const char*, string&&), which trips a GCC 12 -Wrestrict false positive.
std::string spaced(std::string_view word) {
  std::string out;
  out.reserve(word.size() + 2);
  out += ' ';
  out += word;
  out += ' ';
  return out;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  out.reserve(s.size());
  size_t start = 0;
  for (size_t p; (p = s.find(from, start)) != std::string::npos; start = p + from.size()) {
    out.append(s, start, p - start);
    out.append(to);
  }
  out.append(s, start, std::string::npos);
  s = std::move(out);
}

bool contains_any(const std::string& s, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return s.find(n) != std::string::npos; });
}

// Removes whole ASCII words (space-delimited) from an already lower-cased string.
void remove_words(std::string& s, std::initializer_list<std::string_view> words) {
  std::string padded = spaced(s);
  for (auto w : words) replace_all(padded, spaced(w), " ");
  // A second pass catches neighbours that shared a space.
  for (auto w : words) replace_all(padded, spaced(w), " ");
  s = collapse_spaces(padded);
}

std::string snake_case(const std::string& phrase) {
  std::string out;
  for (char c : collapse_spaces(phrase)) {
    if (c == ' ' || c == '-') out += '_';
    else if (c == '.' || c == ':' || c == '#') continue;
    else out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

FieldSpec spec_for(const std::string& name, const std::string& phrase) {
  FieldSpec spec;
  spec.name = name;
  spec.canonical = canonical_field(phrase);
  if (spec.canonical.empty()) {
    spec.key_texts.push_back(trim(phrase));
    std::string f = fold(phrase);
    for (const auto& group : custom_key_groups()) {
      bool hit = std::any_of(group.begin(), group.end(),
                             [&](std::string_view k) { return fold(k) == f; });
      if (!hit) continue;
      for (auto k : group)
        if (fold(k) != f) spec.key_texts.emplace_back(k);
    }
  }
  return spec;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Whether a phrase reads like a printed key: a known custom key, or a short phrase ending in a
// label noun ("... no", "... number", "...号码", "...编号").
bool label_like(const std::string& part) {
  std::string f = fold(part);
  for (const auto& group : custom_key_groups())
    for (auto k : group)
      if (fold(k) == f) return true;
  if (contains_cjk(part)) {
    if (to_u32(part).size() > 8) return false;
    for (auto suffix : {"号", "码", "名", "名称", "编号", "日期", "时间", "金额", "人", "员", "类型",
                        "方式", "地址", "电话", "代码", "账号", "卡号"})
      if (ends_with(part, suffix)) return true;
    return false;
  }
  size_t words = static_cast<size_t>(std::count(part.begin(), part.end(), ' ')) + 1;
  if (words > 4 || part.size() > 40) return false;
  std::string last = part.substr(part.find_last_of(' ') == std::string::npos ? 0 : part.find_last_of(' ') + 1);
  for (auto w : {"no", "no.", "number", "id", "code", "#", "ref", "reference", "name", "date",
                 "time", "amount", "account", "card", "order", "table", "member"})
    if (last == w) return true;
  return false;
}

}  // namespace

std::string canonical_field(const std::string& phrase) {
  std::string f = fold(phrase);
  if (f.empty()) return "";
  for (const auto& v : vocabulary())
    for (auto p : v.phrases)
      if (fold(p) == f) return v.canonical;
  return "";
}

UnsupportedInstruction::UnsupportedInstruction(const std::string& instruction)
    : std::runtime_error(
          "unsupported_instruction: the native extractor only extracts fields (amounts, dates, "
          "merchant, address, items, labelled values such as an invoice number); it cannot "
          "answer \"" + instruction +
          "\". Use the VLM backend (--backend openai or --backend hybrid) for translation, "
          "summaries and free-form questions."),
      instruction_(instruction) {}

std::vector<FieldSpec> resolve_specs(const ExtractRequest& request) {
  if (request.empty())
    throw InvalidRequest("empty extraction request: give a schema, a field list or an instruction");
  std::vector<FieldSpec> specs;
  auto add = [&](FieldSpec spec) {
    for (const auto& s : specs)
      if (s.name == spec.name) return;
    specs.push_back(std::move(spec));
  };
  if (!request.schema.empty()) {
    if (to_upper_ascii(trim(request.schema)) != "RECEIPT")
      throw InvalidRequest("unknown schema \"" + request.schema + "\" (known: receipt)");
    for (const char* f : kReceiptSchemaFields) add(spec_for(f, f));
  }
  for (const auto& name : request.fields) {
    std::string n = trim(name);
    if (n.empty()) throw InvalidRequest("empty field name in the field list");
    if (n.size() > 100) throw InvalidRequest("field name longer than 100 bytes");
    add(spec_for(n, n));
  }
  if (request.instruction.empty()) return specs;

  const std::string& original = request.instruction;
  if (original.size() > 2000) throw UnsupportedInstruction(utf8_prefix(original, 100) + "...");
  std::string s = collapse_spaces(original);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  bool question = contains_any(s, {"?", "\xEF\xBC\x9F"});
  for (auto p : {"?", "\xEF\xBC\x9F", "!", "\xEF\xBC\x81", "\xE3\x80\x82", "\""}) replace_all(s, p, " ");
  while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.pop_back();

  // Tasks beyond field extraction: translation, summaries, advice, reasoning about content.
  if (contains_any(s, {"translat", "翻译", "翻譯", "summar", "总结", "概括", "摘要", "explain",
                       "解释", "why", "为什么", "recommend", "推荐", "describe", "描述", "write ",
                       "写", "analy", "分析", "compare", "比较", "对比", "是否", "吗", "calorie",
                       "卡路里", "healthy", "健康", "advice", "建议", "convert", "换算",
                       "should", "应该", "opinion", "评价", "categori", "分类", "classify"}))
    throw UnsupportedInstruction(original);

  // Strip request verbs and filler words; remember whether an extraction verb was present.
  bool verb = false;
  for (auto v : {"请帮我", "帮我", "请你", "麻烦", "请", "提取出", "提取", "抽取", "识别出", "识别",
                 "获取", "找出", "找到", "查找", "给出", "返回", "读取", "列出", "输出", "告诉我",
                 "我要", "我需要", "看看", "看一下"}) {
    if (s.find(v) != std::string::npos) {
      verb = verb || std::string_view(v) != "请";
      replace_all(s, v, " ");
    }
  }
  for (auto v : {"please", "can you", "could you", "extract", "get me", "get", "find",
                 "return", "pull out", "read out", "read", "list", "give me", "show me", "show",
                 "tell me", "what is", "what's", "what are", "i need", "output", "look up"}) {
    std::string padded = spaced(s);
    std::string w = spaced(v);
    if (padded.find(w) != std::string::npos) {
      verb = true;
      replace_all(padded, w, " ");
      s = collapse_spaces(padded);
    }
  }
  for (auto f : {"这张小票上的", "这张小票的", "这张发票上的", "这张发票的", "这张收据上的",
                 "这张收据的", "小票上的", "小票中的", "小票的", "收据上的", "收据的", "发票上的",
                 "发票中的", "票据上的", "这张", "该", "中的", "上的", "里的", "是多少", "是什么",
                 "是哪天", "信息", "字段", "一下"})
    replace_all(s, f, " ");
  remove_words(s, {"the", "all", "of", "from", "on", "in", "this", "that", "receipt", "receipt's",
                   "invoice's", "document", "document's", "bill's", "value", "values", "field",
                   "fields", "info", "information", "its", "my", "a", "an", "please", "is", "are",
                   "was", "me", "for", "us", "you"});
  // "的" left between words ("商家的地址") joins them; elsewhere it is filler.
  replace_all(s, "的", "");

  for (auto sep : {"以及", "还有", "和", "与", "及", "跟", "、", "\xEF\xBC\x8C", "\xEF\xBC\x9B", ",",
                   ";", "&", "+", " and ", "/"})
    replace_all(s, sep, "|");
  std::vector<std::string> parts;
  std::string current;
  for (char c : s + "|") {
    if (c == '|') {
      std::string p = trim(current);
      if (!p.empty()) parts.push_back(p);
      current.clear();
    } else {
      current += c;
    }
  }
  if (parts.empty()) throw UnsupportedInstruction(original);

  std::vector<FieldSpec> from_instruction;
  for (const auto& part : parts) {
    std::string canonical = canonical_field(part);
    if (!canonical.empty()) {
      FieldSpec spec;
      spec.canonical = canonical;
      spec.name = canonical == "total" ? "total_amount" : canonical;
      from_instruction.push_back(spec);
      continue;
    }
    // A label-like phrase after an extraction verb is a custom key ("发票号码", "invoice no",
    // "member id"); anything else is a question for a language model.
    if (!verb || question || !label_like(part)) throw UnsupportedInstruction(original);
    from_instruction.push_back(spec_for(contains_cjk(part) ? part : snake_case(part), part));
  }
  for (auto& spec : from_instruction) add(std::move(spec));
  return specs;
}

}  // namespace edgeocr::extract
