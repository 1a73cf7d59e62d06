#include "ocr/model_locator.h"

#include <cstdlib>
#include <system_error>

namespace edgeocr::ocr {
namespace fs = std::filesystem;

namespace {

bool has_onnx(const fs::path& dir, int depth) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() == ".onnx" && it->is_regular_file(ec)) return true;
    if (depth > 0 && it->is_directory(ec) && has_onnx(p, depth - 1)) return true;
  }
  return false;
}

std::string describe(const ModelPlace& place) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(place.dir, ec);
  std::string text = place.dir.string();
  if (!ec && absolute != place.dir) text += " (" + absolute.string() + ")";
  return text + " [" + place.origin + "]";
}

}  // namespace

ModelPlace named_model_dir(const std::string& flag_value, const std::function<const char*(const char*)>& getenv) {
  if (!flag_value.empty()) return {flag_value, "--model-path"};
  if (const char* env = getenv("EDGEOCR_MODEL_PATH"); env && *env) return {env, "EDGEOCR_MODEL_PATH"};
  return {};
}

std::vector<ModelPlace> default_model_places() {
  std::vector<ModelPlace> places{{"models", "./models"}, {kInstalledModelDir, "installed data folder"}};
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = (exe.parent_path() / ".." / "share" / "edgeocr" / "models").lexically_normal();
    if (beside != fs::path(kInstalledModelDir)) places.push_back({beside, "beside the binary"});
  }
  return places;
}

fs::path locate_model_dir(const ModelPlace& named, const std::vector<ModelPlace>& fallbacks) {
  if (!named.dir.empty()) {
    std::error_code ec;
    if (!fs::is_directory(named.dir, ec)) throw ModelDirNotFound("cannot load the OCR models from " + describe(named) + ": no such folder");
    return named.dir;
  }
  std::string looked;
  for (const auto& place : fallbacks) {
    if (has_onnx(place.dir, 1)) return place.dir;
    looked += "\n  " + describe(place);
  }
  throw ModelDirNotFound("no OCR models found; looked in:" + looked +
                         "\nset --model-path, EDGEOCR_MODEL_PATH or model_path in the config file, or fill a folder "
                         "with scripts/fetch-models.sh DIR");
}

}  // namespace edgeocr::ocr
