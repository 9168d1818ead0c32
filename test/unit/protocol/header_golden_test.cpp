// Golden header bytes, checked against a table written out by hand from the Scream wire format
// (shared/COMPAT.md), not computed by the code under test.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "protocol/header.h"

namespace scream::protocol {
namespace {

struct RateRow {
  uint32_t rate;
  uint8_t marker;
};
constexpr RateRow kRates[] = {
    {44100, 0x81},  {88200, 0x82},  {176400, 0x84}, {48000, 0x01},   {96000, 0x02},
    {192000, 0x04}, {144000, 0x03}, {132300, 0x83}, {6096000, 0x7F}, {5600700, 0xFF},
};

struct LayoutRow {
  uint8_t channels;
  uint16_t mask;
  uint8_t maskLo, maskHi;
};
constexpr LayoutRow kLayouts[] = {
    {1, 0x0004, 0x04, 0x00},  // mono
    {2, 0x0003, 0x03, 0x00},  // stereo
    {3, 0x0007, 0x07, 0x00},
    {4, 0x0033, 0x33, 0x00},  // quad
    {5, 0x001F, 0x1F, 0x00},
    {6, 0x003F, 0x3F, 0x00},  // 5.1
    {7, 0x007F, 0x7F, 0x00},
    {8, 0x063F, 0x3F, 0x06},  // 7.1
    {2, 0x0000, 0x00, 0x00},  // no mask at all is still a valid header
    {8, 0xFFFF, 0xFF, 0xFF},
};

constexpr uint8_t kBits[] = {16, 24, 32};

TEST(HeaderGolden, EveryRateBitsLayoutCombination) {
  int checked = 0;
  for (const RateRow& r : kRates) {
    for (uint8_t bits : kBits) {
      for (const LayoutRow& l : kLayouts) {
        const Format format{r.rate, bits, l.channels, l.mask};
        const std::array<uint8_t, 5> expected = {r.marker, bits, l.channels, l.maskLo, l.maskHi};
        std::array<uint8_t, 5> actual{};
        ASSERT_EQ(encodeHeader(format, actual.data()), FormatError::kOk);
        EXPECT_EQ(actual, expected) << r.rate << " Hz " << int(bits) << " bit " << int(l.channels)
                                    << " ch mask " << l.mask;
        Format decoded;
        ASSERT_EQ(decodeHeader(expected.data(), &decoded), FormatError::kOk);
        EXPECT_TRUE(decoded == format);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 10 * 3 * 10);
}

TEST(HeaderGolden, InvalidFormatWritesNothing) {
  std::array<uint8_t, 5> out = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
  EXPECT_EQ(encodeHeader({32000, 16, 2, 3}, out.data()), FormatError::kRateNotMultipleOfBase);
  EXPECT_EQ(encodeHeader({48000, 16, 9, 3}, out.data()), FormatError::kChannelsTooMany);
  for (uint8_t b : out) EXPECT_EQ(b, 0xAA);
}

TEST(HeaderGolden, DecodeRejectsAndLeavesFormatAlone) {
  Format format{1, 2, 3, 4};
  const uint8_t zeroMultiplier[5] = {0x80, 16, 2, 3, 0};
  EXPECT_EQ(decodeHeader(zeroMultiplier, &format), FormatError::kRateMultiplierZero);
  const uint8_t badBits[5] = {0x01, 12, 2, 3, 0};
  EXPECT_EQ(decodeHeader(badBits, &format), FormatError::kBitsUnsupported);
  EXPECT_TRUE(format == (Format{1, 2, 3, 4}));
}

}  // namespace
}  // namespace scream::protocol
