#include "ocr/pages.h"

#include <tiffio.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <libheif/heif.h>
#include <opencv2/imgproc.hpp>
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include "ocr/decode.h"

namespace edgeocr::ocr {
namespace {

bool starts_with(std::span<const uint8_t> b, const char* magic, size_t n, size_t at = 0) {
  return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
}

bool is_pdf(std::span<const uint8_t> b) {
  // The header may follow a little junk (the spec allows it within the first 1024 bytes).
  const size_t window = std::min<size_t>(b.size(), 1024);
  for (size_t i = 0; i + 5 <= window; ++i)
    if (std::memcmp(b.data() + i, "%PDF-", 5) == 0) return true;
  return false;
}

bool is_heif(std::span<const uint8_t> b) {
  if (!starts_with(b, "ftyp", 4, 4) || b.size() < 12) return false;
  static const char* brands[] = {"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif"};
  for (const char* brand : brands)
    if (starts_with(b, brand, 4, 8)) return true;
  return false;
}

void check_pixels(int64_t width, int64_t height, int page, const DecodeLimits& limits) {
  if (width <= 0 || height <= 0)
    throw ImageError("page " + std::to_string(page) + " has no size (" + std::to_string(width) + "x" +
                     std::to_string(height) + ")");
  if (width * height > limits.max_pixels)
    throw ImageError("page " + std::to_string(page) + " is " + std::to_string(width) + "x" + std::to_string(height) +
                     " pixels, over the limit of " + std::to_string(limits.max_pixels),
                     ImageError::Kind::too_large);
}

std::vector<int> selected(const PageOptions& options, int page_count) {
  std::vector<int> numbers = select_pages(options.pages, page_count);
  if (static_cast<int>(numbers.size()) > options.max_pages)
    throw ImageError(std::to_string(numbers.size()) + " pages selected, over the limit of " +
                     std::to_string(options.max_pages) + " (select fewer pages)",
                     ImageError::Kind::too_large);
  return numbers;
}

// ---- PDF (poppler) ----

void quiet_poppler(const std::string&, void*) {}

std::unique_ptr<poppler::document> open_pdf(std::span<const uint8_t> bytes) {
  static const bool silenced = [] {
    poppler::set_debug_error_function(quiet_poppler, nullptr);  // errors become ImageError below
    return true;
  }();
  (void)silenced;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) throw ImageError("PDF too large", ImageError::Kind::too_large);
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(reinterpret_cast<const char*>(bytes.data()), static_cast<int>(bytes.size())));
  if (!doc) throw ImageError("cannot read PDF (truncated or corrupt)");
  if (doc->is_locked()) throw ImageError("PDF is password-protected");
  if (doc->pages() <= 0) throw ImageError("PDF has no pages");
  return doc;
}

void pdf_pages(std::span<const uint8_t> bytes, const PageOptions& options, const std::function<void(Page&&)>& on_page) {
  const auto doc = open_pdf(bytes);
  poppler::page_renderer renderer;
  renderer.set_render_hints(poppler::page_renderer::antialiasing | poppler::page_renderer::text_antialiasing);
  renderer.set_image_format(poppler::image::format_argb32);
  for (const int number : selected(options, doc->pages())) {
    const std::unique_ptr<poppler::page> page(doc->create_page(number - 1));
    if (!page) throw ImageError("cannot read PDF page " + std::to_string(number));
    const poppler::rectf rect = page->page_rect();
    check_pixels(std::llround(rect.width() * options.dpi / 72.0), std::llround(rect.height() * options.dpi / 72.0), number,
                 options.limits);
    const poppler::image image = renderer.render_page(page.get(), options.dpi, options.dpi);
    if (!image.is_valid() || image.width() <= 0 || image.height() <= 0)
      throw ImageError("cannot render PDF page " + std::to_string(number));
    // argb32 is stored as B,G,R,A bytes on little-endian machines.
    const cv::Mat bgra(image.height(), image.width(), CV_8UC4, const_cast<char*>(image.const_data()),
                       static_cast<size_t>(image.bytes_per_row()));
    Page out;
    out.number = number;
    cv::cvtColor(bgra, out.bgr, cv::COLOR_BGRA2BGR);
    on_page(std::move(out));
  }
}

// ---- multi-page TIFF (libtiff, read from memory) ----

struct MemoryFile {
  std::span<const uint8_t> bytes;
  toff_t at = 0;
};

tsize_t tiff_read(thandle_t h, tdata_t buf, tsize_t size) {
  auto* f = static_cast<MemoryFile*>(h);
  const toff_t n = std::min<toff_t>(static_cast<toff_t>(size), f->at < f->bytes.size() ? f->bytes.size() - f->at : 0);
  std::memcpy(buf, f->bytes.data() + f->at, n);
  f->at += n;
  return static_cast<tsize_t>(n);
}
tsize_t tiff_write(thandle_t, tdata_t, tsize_t) { return 0; }
toff_t tiff_seek(thandle_t h, toff_t offset, int whence) {
  auto* f = static_cast<MemoryFile*>(h);
  const toff_t base = whence == SEEK_CUR ? f->at : whence == SEEK_END ? f->bytes.size() : 0;
  f->at = base + offset;
  return f->at;
}
int tiff_close(thandle_t) { return 0; }
toff_t tiff_size(thandle_t h) { return static_cast<MemoryFile*>(h)->bytes.size(); }
int tiff_map(thandle_t, tdata_t*, toff_t*) { return 0; }
void tiff_unmap(thandle_t, tdata_t, toff_t) {}

struct TiffCloser {
  void operator()(TIFF* t) const { TIFFClose(t); }
};

std::unique_ptr<TIFF, TiffCloser> open_tiff(MemoryFile& file) {
  static const bool silenced = [] {
    TIFFSetWarningHandler(nullptr);  // unknown tags etc.; real failures surface as ImageError
    TIFFSetErrorHandler(nullptr);
    return true;
  }();
  (void)silenced;
  std::unique_ptr<TIFF, TiffCloser> tif(TIFFClientOpen("input", "rm", &file, tiff_read, tiff_write, tiff_seek,
                                                       tiff_close, tiff_size, tiff_map, tiff_unmap));
  if (!tif) throw ImageError("cannot read TIFF (truncated or corrupt)");
  return tif;
}

int tiff_page_count(std::span<const uint8_t> bytes) {
  MemoryFile file{bytes};
  const auto tif = open_tiff(file);
  return std::max(1, static_cast<int>(TIFFNumberOfDirectories(tif.get())));
}

void tiff_pages(std::span<const uint8_t> bytes, const PageOptions& options, const std::function<void(Page&&)>& on_page) {
  MemoryFile file{bytes};
  const auto tif = open_tiff(file);
  const int count = static_cast<int>(TIFFNumberOfDirectories(tif.get()));
  for (const int number : selected(options, count)) {
    if (!TIFFSetDirectory(tif.get(), static_cast<tdir_t>(number - 1)))
      throw ImageError("cannot read TIFF page " + std::to_string(number));
    uint32_t width = 0, height = 0;
    TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &height);
    check_pixels(width, height, number, options.limits);
    cv::Mat rgba(static_cast<int>(height), static_cast<int>(width), CV_8UC4);
    if (!TIFFReadRGBAImageOriented(tif.get(), width, height, reinterpret_cast<uint32_t*>(rgba.data), ORIENTATION_TOPLEFT, 0))
      throw ImageError("cannot decode TIFF page " + std::to_string(number) + " (truncated or corrupt data)");
    Page out;
    out.number = number;
    cv::cvtColor(rgba, out.bgr, cv::COLOR_RGBA2BGR);  // libtiff packs R,G,B,A in memory order
    on_page(std::move(out));
  }
}

// ---- HEIC / HEIF (libheif) ----

struct HeifContextFree {
  void operator()(heif_context* c) const { heif_context_free(c); }
};
struct HeifHandleRelease {
  void operator()(heif_image_handle* h) const { heif_image_handle_release(h); }
};
struct HeifImageRelease {
  void operator()(heif_image* i) const { heif_image_release(i); }
};

void heif_check(const heif_error& error, const std::string& what) {
  if (error.code != heif_error_Ok) throw ImageError(what + ": " + (error.message ? error.message : "libheif error"));
}

std::unique_ptr<heif_context, HeifContextFree> open_heif(std::span<const uint8_t> bytes) {
  std::unique_ptr<heif_context, HeifContextFree> ctx(heif_context_alloc());
  if (!ctx) throw ImageError("cannot read HEIF (out of memory)");
  heif_check(heif_context_read_from_memory_without_copy(ctx.get(), bytes.data(), bytes.size(), nullptr),
             "cannot read HEIF");
  return ctx;
}

std::vector<heif_item_id> heif_ids(heif_context* ctx) {
  std::vector<heif_item_id> ids(static_cast<size_t>(std::max(0, heif_context_get_number_of_top_level_images(ctx))));
  if (!ids.empty()) heif_context_get_list_of_top_level_image_IDs(ctx, ids.data(), static_cast<int>(ids.size()));
  if (ids.empty()) throw ImageError("HEIF file has no images");
  return ids;
}

void heif_pages(std::span<const uint8_t> bytes, const PageOptions& options, const std::function<void(Page&&)>& on_page) {
  const auto ctx = open_heif(bytes);
  const auto ids = heif_ids(ctx.get());
  for (const int number : selected(options, static_cast<int>(ids.size()))) {
    heif_image_handle* raw_handle = nullptr;
    heif_check(heif_context_get_image_handle(ctx.get(), ids[static_cast<size_t>(number - 1)], &raw_handle),
               "cannot read HEIF image " + std::to_string(number));
    const std::unique_ptr<heif_image_handle, HeifHandleRelease> handle(raw_handle);
    check_pixels(heif_image_handle_get_width(handle.get()), heif_image_handle_get_height(handle.get()), number,
                 options.limits);
    heif_image* raw_image = nullptr;  // rotation and mirroring from the file are applied here
    heif_check(heif_decode_image(handle.get(), &raw_image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, nullptr),
               "cannot decode HEIF image " + std::to_string(number));
    const std::unique_ptr<heif_image, HeifImageRelease> image(raw_image);
    int stride = 0;
    const uint8_t* plane = heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
    const int w = heif_image_get_width(image.get(), heif_channel_interleaved);
    const int h = heif_image_get_height(image.get(), heif_channel_interleaved);
    if (!plane || w <= 0 || h <= 0) throw ImageError("cannot decode HEIF image " + std::to_string(number));
    const cv::Mat rgb(h, w, CV_8UC3, const_cast<uint8_t*>(plane), static_cast<size_t>(stride));
    Page out;
    out.number = number;
    cv::cvtColor(rgb, out.bgr, cv::COLOR_RGB2BGR);
    on_page(std::move(out));
  }
}

void check_size(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  if (bytes.empty()) throw ImageError("empty file");
  if (static_cast<int64_t>(bytes.size()) > limits.max_bytes)
    throw ImageError("file too large: " + std::to_string(bytes.size()) + " bytes (limit " +
                         std::to_string(limits.max_bytes) + ")",
                     ImageError::Kind::too_large);
}

}  // namespace

std::string document_format(std::span<const uint8_t> bytes) {
  if (is_pdf(bytes)) return "PDF";
  if (is_heif(bytes)) return "HEIF";
  const auto header = probe_header(bytes);
  return header ? header->format : "";
}

namespace {

struct KnownType {
  std::string_view format;
  FileType type;
};
constexpr KnownType kFileTypes[] = {
    {"JPEG", {"jpg", "image/jpeg"}}, {"PNG", {"png", "image/png"}},        {"BMP", {"bmp", "image/bmp"}},
    {"GIF", {"gif", "image/gif"}},   {"TIFF", {"tiff", "image/tiff"}},     {"WebP", {"webp", "image/webp"}},
    {"PDF", {"pdf", "application/pdf"}}, {"HEIF", {"heic", "image/heic"}}};

}  // namespace

std::optional<FileType> file_type(std::string_view format) {
  for (const auto& known : kFileTypes)
    if (known.format == format) return known.type;
  return std::nullopt;
}

std::string_view mime_for_extension(std::string_view extension) {
  for (const auto& known : kFileTypes)
    if (known.type.extension == extension) return known.type.mime;
  return "application/octet-stream";
}

int count_pages(std::span<const uint8_t> bytes) {
  const std::string format = document_format(bytes);
  if (format == "PDF") return open_pdf(bytes)->pages();
  if (format == "HEIF") return static_cast<int>(heif_ids(open_heif(bytes).get()).size());
  if (format == "TIFF") return tiff_page_count(bytes);
  return 1;
}

void for_each_page(std::span<const uint8_t> bytes, const PageOptions& options,
                   const std::function<void(Page&&)>& on_page) {
  check_size(bytes, options.limits);
  const std::string format = document_format(bytes);
  if (format == "PDF") return pdf_pages(bytes, options, on_page);
  if (format == "HEIF") return heif_pages(bytes, options, on_page);
  if (format == "TIFF" && tiff_page_count(bytes) > 1) return tiff_pages(bytes, options, on_page);
  // A single image: the common decoder (header checks, EXIF orientation), at full size.
  selected(options, 1);
  DecodeLimits limits = options.limits;
  limits.max_side = 0;
  Page page;
  page.bgr = detail::decode_with_size(bytes, limits).bgr;
  on_page(std::move(page));
}

std::vector<PageRange> parse_page_ranges(const std::string& spec) {
  std::vector<PageRange> ranges;
  const auto bad = [&] {
    return std::invalid_argument("page selection must look like 1-3,5,8- (pages from 1), got '" + spec + "'");
  };
  const auto number = [&](const std::string& s) {
    if (s.empty() || s.size() > 6 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      throw bad();
    const int n = std::stoi(s);
    if (n < 1) throw bad();
    return n;
  };
  size_t start = 0;
  while (start <= spec.size()) {
    const size_t comma = std::min(spec.find(',', start), spec.size());
    const std::string part = spec.substr(start, comma - start);
    const size_t dash = part.find('-');
    PageRange r;
    if (dash == std::string::npos) {
      r.first = r.last = number(part);
    } else {
      r.first = number(part.substr(0, dash));
      r.last = dash + 1 == part.size() ? 0 : number(part.substr(dash + 1));
      if (r.last != 0 && r.last < r.first) throw bad();
    }
    ranges.push_back(r);
    start = comma + 1;
  }
  return ranges;
}

std::vector<int> select_pages(const std::vector<PageRange>& ranges, int page_count) {
  std::vector<int> numbers;
  if (ranges.empty()) {
    for (int n = 1; n <= page_count; ++n) numbers.push_back(n);
    return numbers;
  }
  for (const auto& r : ranges) {
    if (r.first > page_count)
      throw ImageError("page " + std::to_string(r.first) + " selected, but the file has " + std::to_string(page_count) +
                       (page_count == 1 ? " page" : " pages"));
    const int last = r.last == 0 ? page_count : std::min(r.last, page_count);
    for (int n = r.first; n <= last; ++n)
      if (std::find(numbers.begin(), numbers.end(), n) == numbers.end()) numbers.push_back(n);
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

}  // namespace edgeocr::ocr
