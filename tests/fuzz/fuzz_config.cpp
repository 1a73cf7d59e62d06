// Config files (TOML): any bytes either parse or throw ConfigError.
#include <cstdint>
#include <string>

#include "settings/settings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    edgeocr::settings::parse_config(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const edgeocr::settings::ConfigError&) {
  }
  return 0;
}
