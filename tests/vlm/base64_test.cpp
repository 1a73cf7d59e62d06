#include <gtest/gtest.h>

#include "vlm/base64.h"

namespace edgeocr::vlm {
namespace {

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(bytes("")), "");
  EXPECT_EQ(base64_encode(bytes("f")), "Zg==");
  EXPECT_EQ(base64_encode(bytes("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(bytes("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(bytes("foobar")), "Zm9vYmFy");
}

TEST(Base64, RoundTripsEveryByteValue) {
  std::vector<uint8_t> all;
  for (int i = 0; i < 256 * 3 + 1; ++i) all.push_back(static_cast<uint8_t>(i * 7));
  const auto decoded = base64_decode(base64_encode(all));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, all);
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_FALSE(base64_decode("Zm9"));      // bad length
  EXPECT_FALSE(base64_decode("Zm9v!A=="));  // bad character
  EXPECT_FALSE(base64_decode("Z===" ));    // too much padding
  EXPECT_FALSE(base64_decode("Zg==Zm9v"));  // padding in the middle
}

}  // namespace
}  // namespace edgeocr::vlm
