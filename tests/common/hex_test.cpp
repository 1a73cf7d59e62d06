#include "common/hex.h"

#include <gtest/gtest.h>

namespace edgeocr::common {
namespace {

TEST(Hex, EncodesLowerCaseAndDecodesEitherCase) {
  const std::string bytes("\x00\x01\x7f\x80\xab\xff", 6);
  EXPECT_EQ(hex_encode(bytes), "00017f80abff");
  EXPECT_EQ(hex_decode("00017f80abff"), bytes);
  EXPECT_EQ(hex_decode("00017F80ABFF"), bytes);
  EXPECT_EQ(hex_decode(""), std::string());
}

TEST(Hex, RefusesOddLengthsAndNonDigits) {
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("0g"));
  EXPECT_FALSE(hex_decode("0x12"));
  EXPECT_FALSE(hex_decode("12 4"));
}

}  // namespace
}  // namespace edgeocr::common
