// ASCII case folding for names, keys and file extensions (not for user text: no Unicode rules).
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace edgeocr::common {

inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

inline std::string ascii_upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace edgeocr::common
