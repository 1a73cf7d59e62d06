#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/base64.h"
#include "vlm/image_prep.h"

namespace edgeocr::vlm {
namespace {

cv::Mat page(int w, int h) {
  cv::Mat m(h, w, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::rectangle(m, {w / 10, h / 10}, {w / 2, h / 5}, cv::Scalar(0, 0, 0), cv::FILLED);
  return m;
}

TEST(ImagePrep, CapsLongestSideAt2048KeepingAspect) {
  EXPECT_EQ(capped_size(3000, 1000, 2048), cv::Size(2048, 683));
  EXPECT_EQ(capped_size(1000, 4096, 2048), cv::Size(500, 2048));
  EXPECT_EQ(capped_size(2048, 100, 2048), cv::Size(2048, 100));
  EXPECT_EQ(capped_size(800, 600, 2048), cv::Size(800, 600));
}

TEST(ImagePrep, DataUrlDecodesToTheSentImage) {
  const PreparedImage p = prepare_image(page(3000, 1000));
  EXPECT_EQ(p.original_width, 3000);
  EXPECT_EQ(p.original_height, 1000);
  EXPECT_EQ(p.sent_width, 2048);
  EXPECT_EQ(p.sent_height, 683);
  const std::string prefix = "data:image/jpeg;base64,";
  ASSERT_EQ(p.data_url.rfind(prefix, 0), 0u);
  const auto jpeg = common::base64_decode_bytes(std::string_view(p.data_url).substr(prefix.size()));
  ASSERT_TRUE(jpeg);
  EXPECT_EQ(*jpeg, p.jpeg);
  const cv::Mat decoded = cv::imdecode(*jpeg, cv::IMREAD_COLOR);
  EXPECT_EQ(decoded.cols, 2048);
  EXPECT_EQ(decoded.rows, 683);
}

TEST(ImagePrep, SmallImagesAreSentAtNativeResolution) {
  cv::Mat gray(600, 800, CV_8UC1, cv::Scalar(128));
  const PreparedImage p = prepare_image(gray);
  EXPECT_EQ(p.sent_width, 800);
  EXPECT_EQ(p.sent_height, 600);
}

TEST(ImagePrep, RejectsEmptyAndUndecodableImages) {
  EXPECT_THROW(prepare_image(cv::Mat()), std::invalid_argument);
  const std::vector<uint8_t> junk{'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'g'};
  EXPECT_THROW(prepare_encoded_image(junk), std::invalid_argument);
  EXPECT_THROW(prepare_encoded_image({}), std::invalid_argument);
}

TEST(ImagePrep, EncodedInputIsDecodedAndCapped) {
  std::vector<uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", page(2500, 2500), png));
  const PreparedImage p = prepare_encoded_image(png);
  EXPECT_EQ(p.original_width, 2500);
  EXPECT_EQ(p.sent_width, 2048);
  EXPECT_EQ(p.sent_height, 2048);
}

}  // namespace
}  // namespace edgeocr::vlm
