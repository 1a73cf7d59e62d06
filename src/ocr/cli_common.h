// Helpers shared by the `ocr` and `bench` subcommands.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "ocr/model_set.h"

namespace edgeocr::ocr::cli_detail {

// --models default: $EDGEOCR_MODELS, else the default set.
inline std::string default_model_set() {
  const char* env = std::getenv("EDGEOCR_MODELS");
  return env && *env ? env : std::string(kDefaultModelSet);
}
inline std::string model_set_help() {
  return "model set: " + model_set_names_joined(", ") + " (env EDGEOCR_MODELS)";
}

// --precision default: $EDGEOCR_PRECISION, else int8 (where the set ships int8 tables).
inline std::string default_precision() {
  const char* env = std::getenv("EDGEOCR_PRECISION");
  return env && *env ? env : std::string(kDefaultPrecision);
}
inline std::string precision_help() {
  return "int8: models with an int8 table beside them (MODEL.int8) run in int8 on CPUs with VNNI; fp32: "
         "everything in float32 (env EDGEOCR_PRECISION)";
}

// Whole file into memory; refuses files over `max_bytes` without reading them. Throws
// std::runtime_error with a short reason.
inline std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path, int64_t max_bytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw std::runtime_error("no such file");
  if (std::filesystem::is_directory(status)) throw std::runtime_error("is a directory");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open file");
  const std::streamoff size = in.tellg();
  if (size < 0) throw std::runtime_error("cannot read file");
  if (size > max_bytes)
    throw std::runtime_error("file too large: " + std::to_string(size) + " bytes (limit " + std::to_string(max_bytes) + ")");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) throw std::runtime_error("cannot read file");
  return bytes;
}

}  // namespace edgeocr::ocr::cli_detail
