#include "protocol/format.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace scream::protocol {
namespace {

TEST(Format, ValidFormatsPass) {
  EXPECT_EQ(validateFormat({44100, 16, 2, 0x3}), FormatError::kOk);
  EXPECT_EQ(validateFormat({48000, 24, 6, 0x3F}), FormatError::kOk);
  EXPECT_EQ(validateFormat({192000, 32, 8, 0x63F}), FormatError::kOk);
  EXPECT_EQ(validateFormat({48000 * 127, 16, 1, 0x4}), FormatError::kOk);
  EXPECT_EQ(validateFormat({44100 * 127, 16, 1, 0x4}), FormatError::kOk);
}

TEST(Format, EachWayToBeWrongHasItsOwnError) {
  EXPECT_EQ(validateFormat({32000, 16, 2, 0x3}), FormatError::kRateNotMultipleOfBase);
  EXPECT_EQ(validateFormat({44101, 16, 2, 0x3}), FormatError::kRateNotMultipleOfBase);
  EXPECT_EQ(validateFormat({0, 16, 2, 0x3}), FormatError::kRateMultiplierZero);
  EXPECT_EQ(validateFormat({48000 * 128, 16, 2, 0x3}), FormatError::kRateMultiplierTooLarge);
  EXPECT_EQ(validateFormat({44100 * 128, 16, 2, 0x3}), FormatError::kRateMultiplierTooLarge);
  EXPECT_EQ(validateFormat({48000, 8, 2, 0x3}), FormatError::kBitsUnsupported);
  EXPECT_EQ(validateFormat({48000, 20, 2, 0x3}), FormatError::kBitsUnsupported);
  EXPECT_EQ(validateFormat({48000, 0, 2, 0x3}), FormatError::kBitsUnsupported);
  EXPECT_EQ(validateFormat({48000, 16, 0, 0x3}), FormatError::kChannelsZero);
  EXPECT_EQ(validateFormat({48000, 16, 9, 0x3}), FormatError::kChannelsTooMany);
}

TEST(Format, ErrorsHaveDistinctDescriptions) {
  std::set<std::string> seen;
  for (int e = 0; e <= static_cast<int>(FormatError::kChannelsTooMany); ++e) {
    seen.insert(describe(static_cast<FormatError>(e)));
  }
  EXPECT_EQ(seen.size(), 7u);
}

TEST(Format, FrameSize) {
  EXPECT_EQ((Format{48000, 16, 2, 0x3}).bytesPerFrame(), 4u);
  EXPECT_EQ((Format{48000, 24, 5, 0x1F}).bytesPerFrame(), 15u);
  EXPECT_EQ((Format{48000, 32, 8, 0x63F}).bytesPerFrame(), 32u);
}

TEST(RateMarker, DecodeMultiplierZeroIsUnplayable) {
  EXPECT_EQ(decodeRateMarker(0x00), 0u);
  EXPECT_EQ(decodeRateMarker(0x80), 0u);
}

TEST(RateMarker, EveryMarkerRoundTrips) {
  for (int m = 0; m < 256; ++m) {
    const uint8_t marker = static_cast<uint8_t>(m);
    const uint32_t rate = decodeRateMarker(marker);
    if ((marker & 0x7F) == 0) continue;
    uint8_t again = 0;
    ASSERT_EQ(encodeRateMarker(rate, &again), FormatError::kOk) << rate;
    EXPECT_EQ(again, marker) << rate;
  }
}

}  // namespace
}  // namespace scream::protocol
