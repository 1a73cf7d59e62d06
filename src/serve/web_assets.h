// The web page's files, compiled into the binary. Implemented by the source that
// src/serve/web/CMakeLists.txt generates (library `edgeocr_web_assets`). `path` is the URL path:
// "/" (index.html), "/static/app.js", ...
#pragma once

#include <string_view>

struct WebAsset {
  std::string_view content_type;
  std::string_view body;
};

const WebAsset* find_web_asset(std::string_view path);
