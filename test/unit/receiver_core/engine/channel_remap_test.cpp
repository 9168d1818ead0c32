#include "receivers/core/channel_remap.h"

#include <gtest/gtest.h>

#include <vector>

#include "protocol/channel_map.h"

namespace scream::receiver {
namespace {

namespace masks = protocol::masks;

TEST(ChannelRemap, SameLayoutIsIdentity) {
  const ChannelRemap remap(6, masks::kSurround5_1, 6, masks::kSurround5_1);
  EXPECT_TRUE(remap.identity());
  const std::vector<float> in = {1, 2, 3, 4, 5, 6};
  std::vector<float> out(6);
  remap.apply(in.data(), out.data(), 1);
  EXPECT_EQ(out, in);
}

TEST(ChannelRemap, StereoIntoFivePointOneLandsOnTheFrontPair) {
  const ChannelRemap remap(2, masks::kStereo, 6, masks::kSurround5_1);
  const std::vector<float> in = {0.25f, -0.5f};
  std::vector<float> out(6, 9.0f);
  remap.apply(in.data(), out.data(), 1);
  EXPECT_EQ(out, (std::vector<float>{0.25f, -0.5f, 0, 0, 0, 0}));
}

TEST(ChannelRemap, SevenPointOneIntoFivePointOneKeepsMatchingSpeakers) {
  // 7.1: FL FR FC LFE BL BR SL SR. 5.1 sink: FL FR FC LFE BL BR.
  const ChannelRemap remap(8, masks::k7_1Surround, 6, masks::kSurround5_1);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(remap.sourceFor(i), i);
}

TEST(ChannelRemap, FivePointOneIntoQuadFollowsPositionsNotIndexes) {
  // Quad: FL FR BL BR; 5.1 source: FL FR FC LFE BL BR -> BL is source channel 4.
  const ChannelRemap remap(6, masks::kSurround5_1, 4, masks::kQuad);
  EXPECT_EQ(remap.sourceFor(0), 0);
  EXPECT_EQ(remap.sourceFor(1), 1);
  EXPECT_EQ(remap.sourceFor(2), 4);
  EXPECT_EQ(remap.sourceFor(3), 5);
}

TEST(ChannelRemap, MonoFeedsBothFrontSpeakersAtMinus3dB) {
  const ChannelRemap remap(1, masks::kMono, 2, masks::kStereo);
  const float in = 1.0f;
  float out[2];
  remap.apply(&in, out, 1);
  EXPECT_NEAR(out[0], 0.7071f, 1e-4);
  EXPECT_NEAR(out[1], 0.7071f, 1e-4);
}

TEST(ChannelRemap, ChannelsWithoutPositionPairByIndex) {
  const ChannelRemap remap(4, 0x0, 4, 0x0);  // no mask at all
  for (int i = 0; i < 4; ++i) EXPECT_EQ(remap.sourceFor(i), i);
  EXPECT_TRUE(remap.identity());
}

}  // namespace
}  // namespace scream::receiver
