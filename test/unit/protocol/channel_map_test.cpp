#include "protocol/channel_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scream::protocol {
namespace {

std::vector<std::string> names(uint16_t mask, uint8_t channels) {
  Speaker positions[kMaxChannels];
  speakersForMask(mask, channels, positions);
  std::vector<std::string> out;
  for (uint8_t i = 0; i < std::min<uint8_t>(channels, kMaxChannels); ++i) {
    out.push_back(speakerName(positions[i]));
  }
  return out;
}

using V = std::vector<std::string>;

TEST(ChannelMap, StandardLayouts) {
  EXPECT_EQ(names(masks::kMono, 1), V({"FC"}));
  EXPECT_EQ(names(masks::kStereo, 2), V({"FL", "FR"}));
  EXPECT_EQ(names(masks::kQuad, 4), V({"FL", "FR", "BL", "BR"}));
  EXPECT_EQ(names(masks::kSurround5_1, 6), V({"FL", "FR", "FC", "LFE", "BL", "BR"}));
  EXPECT_EQ(names(masks::k7_1Surround, 8), V({"FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"}));
}

TEST(ChannelMap, EveryBitHasItsPosition) {
  const V expected = {"FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC",
                      "BC", "SL", "SR", "TC", "TFL", "TFC", "TFR", "TBL"};
  for (unsigned bit = 0; bit < kMaskBits; ++bit) {
    EXPECT_EQ(names(static_cast<uint16_t>(1u << bit), 1), V({expected[bit]})) << bit;
  }
}

TEST(ChannelMap, FewerBitsThanChannelsLeavesTheRestUndefined) {
  Speaker positions[kMaxChannels];
  EXPECT_EQ(speakersForMask(masks::kStereo, 4, positions), 2u);
  EXPECT_EQ(names(masks::kStereo, 4), V({"FL", "FR", "UNDEF", "UNDEF"}));
  EXPECT_EQ(speakersForMask(0, 2, positions), 0u);
}

TEST(ChannelMap, MoreBitsThanChannelsUsesTheLowest) {
  EXPECT_EQ(names(masks::k7_1Surround, 2), V({"FL", "FR"}));
}

TEST(ChannelMap, ChannelCountIsClamped) {
  Speaker positions[kMaxChannels];
  EXPECT_EQ(speakersForMask(0xFFFF, 200, positions), kMaxChannels);
}

TEST(ChannelMap, DefaultMasks) {
  EXPECT_EQ(defaultMaskForChannels(0), 0);
  EXPECT_EQ(defaultMaskForChannels(1), masks::kMono);
  EXPECT_EQ(defaultMaskForChannels(2), masks::kStereo);
  EXPECT_EQ(defaultMaskForChannels(3), 0x7);
  EXPECT_EQ(defaultMaskForChannels(4), masks::kQuad);
  EXPECT_EQ(defaultMaskForChannels(5), 0x1F);
  EXPECT_EQ(defaultMaskForChannels(6), masks::kSurround5_1);
  EXPECT_EQ(defaultMaskForChannels(7), 0x7F);
  EXPECT_EQ(defaultMaskForChannels(8), masks::k7_1Surround);
}

}  // namespace
}  // namespace scream::protocol
