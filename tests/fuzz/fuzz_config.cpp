// Config files (TOML subset): any bytes either parse or throw ConfigError.
#include <cstdint>
#include <string>

#include "serve/settings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    edgeocr::serve::parse_toml_subset(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const edgeocr::serve::ConfigError&) {
  }
  return 0;
}
