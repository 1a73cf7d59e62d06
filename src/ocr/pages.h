// The decode layer for documents: one input file (bytes) in, its pages out as upright 8-bit BGR
// images. Single images (JPEG, PNG, BMP, TIFF, WebP) are one page; PDF (rendered with poppler),
// multi-page TIFF (libtiff) and HEIC/HEIF (libheif, every top-level image) give one page each.
// Shared by `edgeocr ocr` and the server's /v1/ocr, so both accept the same inputs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "ocr/pipeline.h"

namespace edgeocr::ocr {

// "1-3,5,8-" style page selection (1-based, an open end means "to the last page", which is
// given as 0 = to the end). Throws std::invalid_argument with a clear message.
struct PageRange {
  int first = 1, last = 0;  // last 0: to the end
};
std::vector<PageRange> parse_page_ranges(const std::string& spec);

// The selected page numbers for a file of `page_count` pages (all when `ranges` is empty).
std::vector<int> select_pages(const std::vector<PageRange>& ranges, int page_count);

struct PageOptions {
  DecodeLimits limits;          // max_bytes for the file; max_pixels per page (checked before decoding)
  int dpi = 200;                // PDF render resolution
  std::vector<PageRange> pages; // pages to read; empty: all
  int max_pages = 1000;         // more selected pages than this is an error (ImageError)
};

struct Page {
  int number = 1;  // 1-based page number in the file
  cv::Mat bgr;     // upright, full resolution (the pipeline applies its own size cap)
};

// The container kind of `bytes`: "PDF", "HEIF", "TIFF", the image format of probe_header, or ""
// when unknown.
std::string document_format(std::span<const uint8_t> bytes);

// How a file of a document_format kind is stored and served: its extension and MIME type.
struct FileType {
  std::string_view extension;  // jpg, png, bmp, gif, tiff, webp, pdf, heic
  std::string_view mime;       // image/jpeg, ...
};
// nullopt for "" and unknown kinds.
std::optional<FileType> file_type(std::string_view format);
// The MIME type of a file extension file_type gives; application/octet-stream for others.
std::string_view mime_for_extension(std::string_view extension);

// Number of pages in the file (1 for single images). Throws ImageError.
int count_pages(std::span<const uint8_t> bytes);

// Decodes the selected pages one at a time, in page order, calling `on_page` for each (so only
// one page is held in memory). Throws ImageError for a bad file, a page over the pixel limit, a
// selected page that does not exist, or more than max_pages pages.
void for_each_page(std::span<const uint8_t> bytes, const PageOptions& options,
                   const std::function<void(Page&&)>& on_page);


}  // namespace edgeocr::ocr
