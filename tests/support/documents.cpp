#include "support/documents.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>

#include <libheif/heif.h>
#include <opencv2/imgcodecs.hpp>

namespace edgeocr::test {

std::vector<uint8_t> encode_tiff_pages(const std::vector<cv::Mat>& bgr_pages) {
  // OpenCV writes multi-page TIFF to files only.
  const auto path = std::filesystem::temp_directory_path() / ("edgeocr_pages_" + std::to_string(::getpid()) + ".tiff");
  if (!cv::imwritemulti(path.string(), bgr_pages)) throw std::runtime_error("cannot write a multi-page TIFF");
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::filesystem::remove(path);
  return bytes;
}

namespace {

void check(heif_error e, const char* what) {
  if (e.code != heif_error_Ok) throw std::runtime_error(std::string(what) + ": " + e.message);
}

struct ContextFree {
  void operator()(heif_context* c) const { heif_context_free(c); }
};
struct EncoderRelease {
  void operator()(heif_encoder* e) const { heif_encoder_release(e); }
};
struct ImageRelease {
  void operator()(heif_image* i) const { heif_image_release(i); }
};

heif_error append(heif_context* ctx, const void* data, size_t size, void* userdata) {
  auto* out = static_cast<std::vector<uint8_t>*>(userdata);
  const auto* bytes = static_cast<const uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
  (void)ctx;
  return {heif_error_Ok, heif_suberror_Unspecified, "ok"};
}

}  // namespace

std::vector<uint8_t> encode_heic(const std::vector<cv::Mat>& bgr_images, int quality) {
  const std::unique_ptr<heif_context, ContextFree> ctx(heif_context_alloc());
  heif_encoder* raw_encoder = nullptr;
  check(heif_context_get_encoder_for_format(ctx.get(), heif_compression_HEVC, &raw_encoder), "no HEVC encoder");
  const std::unique_ptr<heif_encoder, EncoderRelease> encoder(raw_encoder);
  check(heif_encoder_set_lossy_quality(encoder.get(), quality), "quality");
  for (const cv::Mat& full : bgr_images) {
    const cv::Mat bgr = full(cv::Rect(0, 0, full.cols & ~1, full.rows & ~1));
    heif_image* raw_image = nullptr;
    check(heif_image_create(bgr.cols, bgr.rows, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &raw_image), "image");
    const std::unique_ptr<heif_image, ImageRelease> image(raw_image);
    check(heif_image_add_plane(image.get(), heif_channel_interleaved, bgr.cols, bgr.rows, 8), "plane");
    int stride = 0;
    uint8_t* plane = heif_image_get_plane(image.get(), heif_channel_interleaved, &stride);
    for (int y = 0; y < bgr.rows; ++y)
      for (int x = 0; x < bgr.cols; ++x) {
        const auto& px = bgr.at<cv::Vec3b>(y, x);
        uint8_t* out = plane + y * stride + 3 * x;
        out[0] = px[2], out[1] = px[1], out[2] = px[0];
      }
    check(heif_context_encode_image(ctx.get(), image.get(), encoder.get(), nullptr, nullptr), "encode");
  }
  std::vector<uint8_t> bytes;
  heif_writer writer{};
  writer.writer_api_version = 1;
  writer.write = append;
  check(heif_context_write(ctx.get(), &writer, &bytes), "write");
  return bytes;
}

}  // namespace edgeocr::test
