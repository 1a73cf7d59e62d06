#include <gtest/gtest.h>

#include "common/base64.h"
#include "common/uuid.h"

namespace edgeocr::common {
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
  const auto decoded = base64_decode_bytes(base64_encode(all));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, all);
  EXPECT_EQ(base64_decode(base64_encode(std::string_view("hello"))), "hello");
  EXPECT_EQ(base64_decode(""), "");
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_FALSE(base64_decode("Zm9"));      // bad length
  EXPECT_FALSE(base64_decode("Zm9v!A=="));  // bad character
  EXPECT_FALSE(base64_decode("Z===" ));    // too much padding
  EXPECT_FALSE(base64_decode("Zg==Zm9v"));  // padding in the middle
}

TEST(Uuid, IsVersion4AndFresh) {
  const std::string a = new_uuid_v4(), b = new_uuid_v4();
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[8], '-');
  EXPECT_EQ(a[13], '-');
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace edgeocr::common
