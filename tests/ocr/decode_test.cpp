// decode_image: formats, EXIF orientation, the downscale cap, and every kind of bad input.
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ocr/codecs.h"
#include "ocr/decode.h"
#include "ocr/pages.h"
#include "ocr/pipeline.h"
#include "support/documents.h"
#include "support/text_renderer.h"

namespace edgeocr::ocr {
namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

void put_be32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}

// A PNG signature and IHDR chunk declaring width x height (CRC not checked by the probe), then
// a tiny bogus IDAT: a "decompression bomb" header.
std::vector<uint8_t> png_header(uint32_t width, uint32_t height) {
  std::vector<uint8_t> v = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  put_be32(v, 13);
  for (char c : std::string("IHDR")) v.push_back(static_cast<uint8_t>(c));
  put_be32(v, width);
  put_be32(v, height);
  for (uint8_t b : {8, 2, 0, 0, 0}) v.push_back(b);  // 8-bit RGB
  put_be32(v, 0);                                    // CRC
  put_be32(v, 4);
  for (char c : std::string("IDATxxxx")) v.push_back(static_cast<uint8_t>(c));
  put_be32(v, 0);
  return v;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    (void)decode_image(bytes);
  } catch (const ImageError& e) {
    return e.what();
  }
  return "";
}

cv::Mat half_black_image(int w, int h) {  // left half black, right half white
  cv::Mat m(h, w, CV_8UC3, cv::Scalar::all(255));
  m(cv::Rect(0, 0, w / 2, h)).setTo(cv::Scalar::all(0));
  return m;
}

TEST(DecodeTest, DecodesCommonFormats) {
  const cv::Mat image = half_black_image(64, 32);
  for (const std::string ext : {".png", ".jpg", ".bmp", ".tiff", ".webp"}) {
    const auto bytes = test::encode(image, ext);
    const auto header = probe_header(bytes);
    ASSERT_TRUE(header.has_value()) << ext;
    EXPECT_EQ(header->width, 64) << ext;
    EXPECT_EQ(header->height, 32) << ext;
    const cv::Mat decoded = decode_image(bytes);
    EXPECT_EQ(decoded.cols, 64) << ext;
    EXPECT_EQ(decoded.rows, 32) << ext;
    EXPECT_EQ(decoded.type(), CV_8UC3) << ext;
    EXPECT_LT(decoded.at<cv::Vec3b>(16, 5)[0], 40) << ext;
    EXPECT_GT(decoded.at<cv::Vec3b>(16, 60)[0], 215) << ext;
  }
}

TEST(DecodeTest, CapsLongestSide) {
  const auto bytes = test::encode(half_black_image(3000, 1000), ".png");
  const auto decoded = detail::decode_with_size(bytes, DecodeLimits{});
  EXPECT_EQ(decoded.bgr.cols, 2048);
  EXPECT_EQ(decoded.bgr.rows, 683);
  EXPECT_EQ(decoded.original_width, 3000);
  EXPECT_EQ(decoded.original_height, 1000);
}

TEST(DecodeTest, AppliesExifOrientation) {
  // JPEG of a 80x40 image (left half black) with an EXIF block saying "rotate 90° clockwise"
  // (orientation 6): the decoded image must be 40x80 with the black half on top.
  auto jpeg = test::encode(half_black_image(80, 40), ".jpg");
  std::vector<uint8_t> tiff = {'M', 'M', 0, 42, 0, 0, 0, 8,  // big-endian TIFF header, IFD at 8
                               0, 1,                          // one entry
                               0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0,  // Orientation SHORT = 6
                               0, 0, 0, 0};                   // no next IFD
  std::vector<uint8_t> app1 = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  const size_t length = app1.size() - 2;
  app1[2] = static_cast<uint8_t>(length >> 8), app1[3] = static_cast<uint8_t>(length & 0xFF);
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
  const cv::Mat decoded = decode_image(jpeg);
  ASSERT_EQ(decoded.cols, 40);
  ASSERT_EQ(decoded.rows, 80);
  EXPECT_LT(decoded.at<cv::Vec3b>(10, 20)[1], 40);   // top: was the left (black) half
  EXPECT_GT(decoded.at<cv::Vec3b>(70, 20)[1], 215);  // bottom: was the right (white) half
}

// A JPEG of `image` with an APP1 "Exif" block whose TIFF structure is `tiff`, right after SOI.
std::vector<uint8_t> jpeg_with_exif(const cv::Mat& image, const std::vector<uint8_t>& tiff,
                                    const std::vector<int>& params = {}) {
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", image, jpeg, params);
  std::vector<uint8_t> app1 = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  const size_t length = app1.size() - 2;
  app1[2] = static_cast<uint8_t>(length >> 8), app1[3] = static_cast<uint8_t>(length & 0xFF);
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
  return jpeg;
}

// An IFD0 of the given 12-byte entries, little-endian ("II") or big-endian ("MM").
std::vector<uint8_t> tiff_ifd(bool little, const std::vector<std::array<uint32_t, 4>>& entries) {
  std::vector<uint8_t> t = {little ? uint8_t{'I'} : uint8_t{'M'}, little ? uint8_t{'I'} : uint8_t{'M'}};
  const auto put = [&](uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) t.push_back(static_cast<uint8_t>(v >> (8 * (little ? i : bytes - 1 - i))));
  };
  put(42, 2), put(8, 4), put(static_cast<uint32_t>(entries.size()), 2);
  for (const auto& [tag, type, count, value] : entries) {
    put(tag, 2), put(type, 2), put(count, 4);
    if (type == 3) put(value, 2), put(0, 2);  // a SHORT sits in the first two bytes of the field
    else put(value, 4);
  }
  put(0, 4);
  return t;
}

cv::Mat asymmetric_image(int w, int h) {  // every orientation gives a different picture
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(3 * x), static_cast<uint8_t>(5 * y), static_cast<uint8_t>(x * y));
  cv::putText(m, "F7", {4, h - 8}, cv::FONT_HERSHEY_SIMPLEX, 1.0, cv::Scalar(255, 255, 255), 2);
  return m;
}

void expect_same_as_opencv(const std::vector<uint8_t>& jpeg, const std::string& what) {
  const cv::Mat expected = cv::imdecode(jpeg, cv::IMREAD_COLOR);
  ASSERT_FALSE(expected.empty()) << what;
  const auto native = detail::decode_jpeg_bgr(jpeg);
  ASSERT_TRUE(native.has_value()) << what << ": left to OpenCV";
  ASSERT_EQ(native->size(), expected.size()) << what;
  ASSERT_EQ(native->type(), expected.type()) << what;
  EXPECT_EQ(cv::norm(*native, expected, cv::NORM_INF), 0) << what;
  EXPECT_EQ(cv::norm(imdecode_guarded(jpeg, cv::IMREAD_COLOR), expected, cv::NORM_INF), 0) << what;
}

// JPEG is decoded without OpenCV (start-up cost); it must give OpenCV's pixels exactly.
TEST(DecodeTest, JpegDecodesPixelForPixelAsOpenCv) {
  const cv::Mat image = asymmetric_image(97, 61);  // odd sizes: partial MCUs
  cv::Mat grey;
  cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  const auto encode = [](const cv::Mat& m, const std::vector<int>& params) {
    std::vector<uint8_t> out;
    cv::imencode(".jpg", m, out, params);
    return out;
  };
  expect_same_as_opencv(encode(image, {}), "baseline 4:2:0");
  expect_same_as_opencv(encode(image, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}), "progressive");
  expect_same_as_opencv(encode(image, {cv::IMWRITE_JPEG_RST_INTERVAL, 2, cv::IMWRITE_JPEG_QUALITY, 40}), "restarts");
  // Luma and chroma qualities that differ make OpenCV write 4:4:4.
  expect_same_as_opencv(encode(image, {cv::IMWRITE_JPEG_LUMA_QUALITY, 90, cv::IMWRITE_JPEG_CHROMA_QUALITY, 70}), "4:4:4");
  expect_same_as_opencv(encode(grey, {}), "greyscale");
  for (const bool little : {true, false})
    for (uint32_t orientation = 0; orientation <= 9; ++orientation)
      expect_same_as_opencv(jpeg_with_exif(image, tiff_ifd(little, {{0x0112, 3, 1, orientation}})),
                            "orientation " + std::to_string(orientation) + (little ? " II" : " MM"));
  // OpenCV keeps the first orientation, and reads none past an entry whose value lies outside
  // the block (here a 40-byte Make string at offset 4000).
  expect_same_as_opencv(jpeg_with_exif(image, tiff_ifd(true, {{0x0112, 3, 1, 6}, {0x0112, 3, 1, 8}})), "two orientations");
  expect_same_as_opencv(jpeg_with_exif(image, tiff_ifd(true, {{0x010F, 2, 40, 4000}, {0x0112, 3, 1, 6}})),
                        "orientation after a broken string");
  expect_same_as_opencv(jpeg_with_exif(image, tiff_ifd(false, {{0x9999, 4, 1, 7}, {0x0112, 3, 1, 5}})),
                        "orientation after an unknown tag");
}

TEST(DecodeTest, JpegDecoderRefusesDamagedDataWithAnEmptyImage) {
  EXPECT_TRUE(detail::decode_jpeg_bgr({}).value_or(cv::Mat(1, 1, CV_8UC3)).empty());
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", asymmetric_image(64, 48), jpeg);
  const std::vector<uint8_t> header_only(jpeg.begin(), jpeg.begin() + 20);
  EXPECT_TRUE(detail::decode_jpeg_bgr(header_only).value_or(cv::Mat(1, 1, CV_8UC3)).empty());
}

TEST(DecodeTest, SroieReceiptsDecodePixelForPixelAsOpenCv) {
  const std::filesystem::path dir = test::shared_dir() / "eval/sroie/img";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << dir << " missing";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  files.resize(std::min<size_t>(files.size(), 10));
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    expect_same_as_opencv(bytes, f.filename().string());
  }
}

TEST(DecodeTest, ExifOrientationReadsTheFirstIfdAsOpenCvDoes) {
  EXPECT_EQ(detail::exif_orientation(tiff_ifd(true, {{0x0112, 3, 1, 6}})), 6);
  EXPECT_EQ(detail::exif_orientation(tiff_ifd(false, {{0x0112, 3, 1, 3}})), 3);
  EXPECT_EQ(detail::exif_orientation(tiff_ifd(true, {{0x0110, 2, 3, 0}})), 1);  // none
  EXPECT_EQ(detail::exif_orientation(tiff_ifd(true, {{0x011A, 5, 1, 9000}, {0x0112, 3, 1, 6}})), 1);  // broken rational first
  std::vector<uint8_t> truncated = tiff_ifd(true, {{0x0112, 3, 1, 6}});
  truncated.resize(16);  // the entry's value field cut off
  EXPECT_EQ(detail::exif_orientation(truncated), 1);
  EXPECT_EQ(detail::exif_orientation({}), 1);
}

TEST(DecodeTest, RejectsEmpty) { EXPECT_NE(error_of({}).find("empty"), std::string::npos); }

TEST(DecodeTest, RejectsNonImage) {
  const std::string e = error_of(bytes_of("Hello, this is a text file, not a picture.\n"));
  EXPECT_NE(e.find("not an image"), std::string::npos) << e;
}

// Found by fuzz_image: a WebP header OpenCV's own WebP check refuses, with DICOM's "DICM" at
// offset 128, went to OpenCV's GDCM decoder, which aborted the process.
TEST(DecodeTest, DicomMagicBehindAnImageHeaderIsAnErrorNotAnAbort) {
  const std::string hex =
      "524946460d00000057454250565038584900000054494346000000000000000000000000000000000000000000000000"
      "000000000000000000000000000000000000015b000100010000ffc09e0b08ffe0000000000000000000000000000000"
      "000000000000000000000000000000000000000000fa000000000000000000494449434dd5";
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  ASSERT_EQ(bytes.size(), 133u);
  EXPECT_TRUE(probe_header(bytes).has_value());  // the probe takes it for WebP
  EXPECT_TRUE(imdecode_guarded(bytes, cv::IMREAD_COLOR).empty());
  EXPECT_NE(error_of(bytes).find("cannot decode"), std::string::npos) << error_of(bytes);
}

TEST(DecodeTest, RejectsTruncatedJpeg) {
  auto jpeg = test::encode(half_black_image(200, 100), ".jpg");
  jpeg.resize(jpeg.size() / 2);
  const std::string e = error_of(jpeg);
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
  jpeg.resize(10);  // cut inside the header
  EXPECT_NE(error_of(jpeg).find("truncated"), std::string::npos);
}

TEST(DecodeTest, RejectsTruncatedPng) {
  auto png = test::encode(half_black_image(200, 100), ".png");
  png.resize(png.size() / 2);
  const std::string e = error_of(png);
  EXPECT_NE(e.find("truncated or corrupt PNG"), std::string::npos) << e;
}

TEST(DecodeTest, RejectsZeroSize) {
  const std::string e = error_of(png_header(0, 100));
  EXPECT_NE(e.find("zero-size"), std::string::npos) << e;
}

TEST(DecodeTest, RejectsDecompressionBombQuicklyWithoutAllocating) {
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const auto start = std::chrono::steady_clock::now();
  const std::string e = error_of(png_header(30000, 30000));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_NE(e.find("too large"), std::string::npos) << e;
  EXPECT_NE(e.find("30000x30000"), std::string::npos) << e;
  EXPECT_LT(ms, 100.0);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 50 * 1024);  // KiB: nowhere near 2.7 GB of pixels
}

TEST(DecodeTest, RejectsOversizedFile) {
  DecodeLimits limits;
  limits.max_bytes = 100;
  const auto png = test::encode(half_black_image(200, 100), ".png");
  EXPECT_THROW((void)decode_image(png, limits), ImageError);
}

TEST(DecodeTest, SizeLimitsAreTooLargeAndDamageIsInvalid) {
  const auto kind_of = [](const std::vector<uint8_t>& bytes, const DecodeLimits& limits) {
    try {
      (void)decode_image(bytes, limits);
    } catch (const ImageError& e) {
      return e.kind();
    }
    ADD_FAILURE() << "decoded";
    return ImageError::Kind::invalid;
  };
  const auto png = test::encode(half_black_image(200, 100), ".png");
  DecodeLimits small_file;
  small_file.max_bytes = 100;
  EXPECT_EQ(kind_of(png, small_file), ImageError::Kind::too_large);
  DecodeLimits few_pixels;
  few_pixels.max_pixels = 200 * 100 - 1;
  EXPECT_EQ(kind_of(png, few_pixels), ImageError::Kind::too_large);
  EXPECT_EQ(kind_of(png_header(0, 100), DecodeLimits{}), ImageError::Kind::invalid);
  std::vector<uint8_t> truncated(png.begin(), png.begin() + static_cast<long>(png.size() / 2));
  EXPECT_EQ(kind_of(truncated, DecodeLimits{}), ImageError::Kind::invalid);
}

TEST(DecodeTest, RejectsGif) {
  const std::string e = error_of(bytes_of(std::string("GIF89a\x10\x00\x10\x00", 10) + std::string(40, '\0')));
  EXPECT_NE(e.find("GIF"), std::string::npos) << e;
}

// Multi-page TIFF and HEIC: every page, in order, each page checked against the pixel limit on
// its own, and a cap on how many pages one file may select.
TEST(DocumentPages, TiffAndHeicPagesWithPerPagePixelLimitAndPageCap) {
  const std::vector<cv::Mat> images = {half_black_image(200, 100), half_black_image(120, 60)};
  for (const auto& [kind, bytes] : {std::pair{std::string("TIFF"), test::encode_tiff_pages(images)},
                                    std::pair{std::string("HEIF"), test::encode_heic(images)}}) {
    EXPECT_EQ(document_format(bytes), kind);
    EXPECT_EQ(count_pages(bytes), 2) << kind;
    std::vector<Page> pages;
    const auto collect = [&](Page&& p) { pages.push_back(std::move(p)); };
    for_each_page(bytes, PageOptions{}, collect);
    ASSERT_EQ(pages.size(), 2u) << kind;
    EXPECT_EQ(pages[0].number, 1);
    EXPECT_EQ(pages[1].number, 2);
    EXPECT_EQ(pages[0].bgr.size(), cv::Size(200, 100)) << kind;
    EXPECT_EQ(pages[1].bgr.size(), cv::Size(120, 60)) << kind;
    EXPECT_LT(pages[1].bgr.at<cv::Vec3b>(30, 10)[1], 60) << kind;  // left half black
    EXPECT_GT(pages[1].bgr.at<cv::Vec3b>(30, 110)[1], 195) << kind;

    PageOptions small;  // page 1 is over this limit, page 2 within it
    small.limits.max_pixels = 150 * 100;
    pages.clear();
    try {
      for_each_page(bytes, small, collect);
      ADD_FAILURE() << kind << ": page 1 over the pixel limit was decoded";
    } catch (const ImageError& e) {
      EXPECT_EQ(e.kind(), ImageError::Kind::too_large) << kind;
      EXPECT_NE(std::string(e.what()).find("page 1 is 200x100"), std::string::npos) << e.what();
    }
    small.pages = parse_page_ranges("2");
    pages.clear();
    for_each_page(bytes, small, collect);
    ASSERT_EQ(pages.size(), 1u) << kind;
    EXPECT_EQ(pages[0].number, 2);

    PageOptions capped;
    capped.max_pages = 1;
    EXPECT_THROW(for_each_page(bytes, capped, collect), ImageError) << kind;
  }
}

}  // namespace
}  // namespace edgeocr::ocr
