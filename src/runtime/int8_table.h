// Int8 tables (internal): the calibrated input ranges of a model's convolutions, keyed by the
// model file's SHA-256, and how a range becomes a fixed input scale.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "runtime/kernel.h"
#include "runtime/runtime.h"

namespace edgeocr::runtime::detail {

struct Int8Table {
  std::string model_sha256;
  ValueRanges ranges;
};

// Throws ModelError for an unreadable or malformed file (the message names file and line).
Int8Table read_int8_table(const std::filesystem::path& file);

// The input quantisation for a range: unsigned when it never went below zero, or (`padded`
// false) unsigned with a zero point over [min, max]; a padded convolution with negative inputs
// gets a symmetric signed scale, since its zero padding must stay zero. nullopt for a range that
// is all zeros (nothing to scale).
std::optional<Int8Input> int8_input_for(const ValueRange& range, bool padded);

// True when the CPU has 8-bit dot-product instructions (AVX-512 VNNI or AVX-VNNI).
bool cpu_has_int8_dot_product();

}  // namespace edgeocr::runtime::detail
