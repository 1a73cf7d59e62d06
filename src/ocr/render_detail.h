// Internals of the renderers (ocr/render.h), shared by their sources and tests.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ocr/render.h"

namespace edgeocr::ocr::detail {

// UTF-8 to code points; each invalid byte becomes U+FFFD.
std::u32string decode_utf8(std::string_view s);

// Text for XML content and attribute values: markup characters escaped, invalid UTF-8 and the
// C0 controls XML cannot carry replaced.
std::string xml_escape(std::string_view s);

struct BoundingBox {
  float x0, y0, x1, y1;
};
BoundingBox bounding_box(const Quad& q);

// Searchable PDF: each page's image with an invisible text layer (src/ocr/render_pdf.cpp).
std::unique_ptr<ResultRenderer> make_pdf_renderer();

}  // namespace edgeocr::ocr::detail
