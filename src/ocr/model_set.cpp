#include "ocr/model_set.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include <yaml.h>

namespace edgeocr::ocr {
namespace {

namespace fs = std::filesystem;

struct SetFiles {
  const char* name;
  const char* det;
  const char* rec;
  const char* cls;
  const char* det_config;  // "" when the set has none
  const char* rec_config;
  const char* dictionary;
  // Unclip ratio of the reported line boxes (the crops keep the detector's own, which the
  // recognizers read best): chosen per detector on sroie_train, where the boxes match SROIE's
  // line boxes best (v4's detector: 1.15 against 1.5, det F1 92.6 -> 94.3 on 200 receipts; the
  // newer ones: 1.0 against their 1.4-1.5, +2.6 to +5.0 points on 100).
  float box_unclip_ratio;
};

// Layout written by scripts/fetch-models.sh. The v6 sets ship no 180° classifier: they use the
// PP-OCR mobile classifier that comes with v5 from the same package.
constexpr SetFiles kSets[] = {
    {"v4", "ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx", "", "",
     "ppocr_keys_v1.txt", 1.15f},
    {"v5", "v5/det/det.onnx", "v5/rec/rec.onnx", "v5/cls/cls.onnx", "", "", "v5/ppocrv5_dict.txt", 1.0f},
    {"v6-small", "v6-small/det/det.onnx", "v6-small/rec/rec.onnx", "v5/cls/cls.onnx", "v6-small/det/inference.yml",
     "v6-small/rec/inference.yml", "v6-small/ppocrv6_dict.txt", 1.0f},
    {"v6-tiny", "v6-tiny/det/det.onnx", "v6-tiny/rec/rec.onnx", "v5/cls/cls.onnx", "v6-tiny/det/inference.yml",
     "v6-tiny/rec/inference.yml", "v6-tiny/ppocrv6_tiny_dict.txt", 1.0f},
    // v6-small's recognizer behind v4's detector: v6-small's detector joins neighbouring segments
    // of a row and finds fewer receipt lines, its recognizer reads best (README: Model sets).
    {"v6-small-v4det", "ch_PP-OCRv4_det_infer.onnx", "v6-small/rec/rec.onnx", "v5/cls/cls.onnx", "",
     "v6-small/rec/inference.yml", "v6-small/ppocrv6_dict.txt", 1.15f},
};

// A parsed YAML document (libyaml's document API: aliases resolved, nodes by index).
class YamlDocument {
 public:
  explicit YamlDocument(const fs::path& file) {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
    if (!f) throw ModelSetError("cannot read " + file.string());
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) throw ModelSetError("out of memory reading " + file.string());
    yaml_parser_set_input_file(&parser, f.get());
    const bool ok = yaml_parser_load(&parser, &doc_) != 0;
    std::string problem = parser.problem ? parser.problem : "";
    yaml_parser_delete(&parser);
    if (!ok) throw ModelSetError(file.string() + " is not valid YAML: " + problem);
    loaded_ = true;
  }
  YamlDocument(const YamlDocument&) = delete;
  YamlDocument& operator=(const YamlDocument&) = delete;
  ~YamlDocument() {
    if (loaded_) yaml_document_delete(&doc_);
  }

  yaml_node_t* root() { return yaml_document_get_root_node(&doc_); }
  // The value under `key` of a mapping node; null if absent or `node` is not a mapping.
  yaml_node_t* get(yaml_node_t* node, std::string_view key) {
    if (!node || node->type != YAML_MAPPING_NODE) return nullptr;
    for (auto* p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; ++p) {
      yaml_node_t* k = yaml_document_get_node(&doc_, p->key);
      if (k && k->type == YAML_SCALAR_NODE && scalar(k) == key) return yaml_document_get_node(&doc_, p->value);
    }
    return nullptr;
  }
  // The items of a sequence node (empty if `node` is not a sequence).
  std::vector<yaml_node_t*> items(yaml_node_t* node) {
    std::vector<yaml_node_t*> r;
    if (!node || node->type != YAML_SEQUENCE_NODE) return r;
    for (auto* i = node->data.sequence.items.start; i < node->data.sequence.items.top; ++i)
      r.push_back(yaml_document_get_node(&doc_, *i));
    return r;
  }
  // The first item of a sequence of single-key mappings with that key (PaddleOCR's
  // `transform_ops: [- Name: {...}]`).
  yaml_node_t* op(yaml_node_t* sequence, std::string_view name) {
    for (yaml_node_t* item : items(sequence))
      if (yaml_node_t* v = get(item, name)) return v;
    return nullptr;
  }
  static std::string scalar(const yaml_node_t* node) {
    if (!node || node->type != YAML_SCALAR_NODE) return {};
    return {reinterpret_cast<const char*>(node->data.scalar.value), node->data.scalar.length};
  }

 private:
  yaml_document_t doc_{};
  bool loaded_ = false;
};

float number(const yaml_node_t* node, const fs::path& file, std::string_view what) {
  const std::string s = YamlDocument::scalar(node);
  try {
    size_t used = 0;
    const float v = std::stof(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  throw ModelSetError(file.string() + ": " + std::string(what) + " is not a number: '" + s + "'");
}

void read_det_config(const fs::path& file, ModelSet& set) {
  YamlDocument doc(file);
  yaml_node_t* post = doc.get(doc.root(), "PostProcess");
  if (yaml_node_t* v = doc.get(post, "thresh")) set.det_threshold = number(v, file, "PostProcess.thresh");
  if (yaml_node_t* v = doc.get(post, "box_thresh")) set.det_box_threshold = number(v, file, "PostProcess.box_thresh");
  if (yaml_node_t* v = doc.get(post, "unclip_ratio")) set.det_unclip_ratio = number(v, file, "PostProcess.unclip_ratio");
  yaml_node_t* ops = doc.get(doc.get(doc.root(), "PreProcess"), "transform_ops");
  if (yaml_node_t* norm = doc.op(ops, "NormalizeImage")) {
    const auto mean = doc.items(doc.get(norm, "mean")), stddev = doc.items(doc.get(norm, "std"));
    if (mean.size() == 3 && stddev.size() == 3)
      for (int c = 0; c < 3; ++c) {
        set.det_mean[c] = number(mean[c], file, "NormalizeImage.mean");
        set.det_std[c] = number(stddev[c], file, "NormalizeImage.std");
      }
    const std::string scale = YamlDocument::scalar(doc.get(norm, "scale"));
    if (!scale.empty() && scale != "1./255." && scale != "0.00392156862745098")
      throw ModelSetError(file.string() + ": NormalizeImage.scale " + scale + " is not supported");
  }
}

void read_rec_config(const fs::path& file, ModelSet& set) {
  YamlDocument doc(file);
  yaml_node_t* ops = doc.get(doc.get(doc.root(), "PreProcess"), "transform_ops");
  if (yaml_node_t* resize = doc.op(ops, "RecResizeImg")) {
    const auto shape = doc.items(doc.get(resize, "image_shape"));
    if (shape.size() == 3) {
      set.rec_height = static_cast<int>(number(shape[1], file, "RecResizeImg.image_shape"));
      set.rec_min_width = static_cast<int>(number(shape[2], file, "RecResizeImg.image_shape"));
    }
  }
  if (set.rec_height < 8 || set.rec_height > 256 || set.rec_min_width < set.rec_height || set.rec_min_width > 4096)
    throw ModelSetError(file.string() + ": recognizer image shape out of range");
}

}  // namespace

const std::vector<std::string>& model_set_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> r;
    for (const auto& s : kSets) r.emplace_back(s.name);
    return r;
  }();
  return names;
}

std::string model_set_names_joined(std::string_view separator) {
  std::string r;
  for (const auto& n : model_set_names()) r += (r.empty() ? "" : std::string(separator)) + n;
  return r;
}

const std::vector<std::string>& precision_names() {
  static const std::vector<std::string> names{"int8", "fp32"};
  return names;
}

Precision parse_precision(std::string_view name) {
  if (name == "int8") return Precision::int8;
  if (name == "fp32") return Precision::fp32;
  throw ModelSetError("unknown precision '" + std::string(name) + "' (choose int8 or fp32)");
}

ModelSet load_model_set(const fs::path& root, std::string_view name) {
  const SetFiles* files = nullptr;
  for (const auto& s : kSets)
    if (name == s.name) files = &s;
  if (!files)
    throw ModelSetError("unknown model set '" + std::string(name) + "' (choose " + model_set_names_joined(", ") + ")");
  ModelSet set;
  set.name = files->name;
  set.det = root / files->det;
  set.rec = root / files->rec;
  set.cls = root / files->cls;
  set.dictionary = root / files->dictionary;
  set.det_box_unclip_ratio = files->box_unclip_ratio;
  if (*files->rec_config) set.rec_config = root / files->rec_config;
  for (const fs::path* p : {&set.det, &set.rec, &set.cls})
    if (!fs::exists(*p))
      throw ModelSetError("model set " + set.name + ": " + p->string() + " is missing (run scripts/fetch-models.sh)");
  for (auto [graph, table] : {std::pair{&set.det, &set.det_int8}, {&set.rec, &set.rec_int8}, {&set.cls, &set.cls_int8}})
    if (fs::path t = fs::path(*graph) += ".int8"; fs::exists(t)) *table = t;
  if (*files->det_config) read_det_config(root / files->det_config, set);
  if (!set.rec_config.empty()) read_rec_config(set.rec_config, set);
  return set;
}

std::vector<std::string> read_dictionary_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ModelSetError("cannot read dictionary " + file.string());
  std::vector<std::string> chars;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    chars.push_back(line);
  }
  return chars;
}

std::vector<std::string> read_dictionary_yaml(const fs::path& file) {
  YamlDocument doc(file);
  std::vector<std::string> chars;
  for (yaml_node_t* item : doc.items(doc.get(doc.get(doc.root(), "PostProcess"), "character_dict"))) {
    if (item->type != YAML_SCALAR_NODE) throw ModelSetError(file.string() + ": character_dict holds a non-scalar");
    chars.push_back(YamlDocument::scalar(item));
  }
  return chars;
}

std::vector<std::string> read_dictionary_metadata(const std::map<std::string, std::string>& metadata) {
  std::vector<std::string> chars;
  auto it = metadata.find("character");
  if (it == metadata.end()) return chars;
  std::istringstream in(it->second);
  std::string line;
  while (std::getline(in, line)) chars.push_back(line);
  return chars;
}

std::vector<std::string> model_set_characters(const ModelSet& set,
                                              const std::map<std::string, std::string>& rec_metadata) {
  std::vector<std::string> chars;
  if (!set.rec_config.empty() && fs::exists(set.rec_config)) chars = read_dictionary_yaml(set.rec_config);
  if (chars.empty() && fs::exists(set.dictionary)) chars = read_dictionary_text(set.dictionary);
  if (chars.empty()) chars = read_dictionary_metadata(rec_metadata);
  if (chars.empty())
    throw ModelSetError("model set " + set.name + ": no dictionary (inference.yml, " + set.dictionary.string() +
                        " or the recognizer's metadata)");
  return chars;
}

std::vector<std::string> ctc_labels(const std::vector<std::string>& characters) {
  std::vector<std::string> labels;
  labels.reserve(characters.size() + 2);
  labels.emplace_back();
  labels.insert(labels.end(), characters.begin(), characters.end());
  labels.emplace_back(" ");
  return labels;
}

}  // namespace edgeocr::ocr
