// The ALSA sink's pure decisions: format preference, buffer sizing, channel positions and the
// software reorder used where a device takes no channel map.
#include "receivers/alsa/alsa_format.h"

#include <gtest/gtest.h>

#include "protocol/channel_map.h"

namespace scream::receiver {
namespace {

TEST(AlsaFormat, PrefersTheSourceDepthThenLosslessOnes) {
  EXPECT_EQ(sampleFormatPreference(16).front().alsa, SND_PCM_FORMAT_S16_LE);
  EXPECT_EQ(sampleFormatPreference(24).front().alsa, SND_PCM_FORMAT_S24_3LE);
  EXPECT_EQ(sampleFormatPreference(32).front().alsa, SND_PCM_FORMAT_S32_LE);
  EXPECT_EQ(sampleFormatPreference(0).front().alsa, SND_PCM_FORMAT_S32_LE);
  EXPECT_EQ(sampleFormatPreference(24)[1].alsa, SND_PCM_FORMAT_S32_LE);  // still lossless
  EXPECT_EQ(sampleFormatPreference(0).size(), 4u);
}

TEST(AlsaFormat, DeviceBufferFollowsTheTargetWithinBounds) {
  EXPECT_DOUBLE_EQ(deviceBufferMs(85), 51);
  EXPECT_DOUBLE_EQ(deviceBufferMs(10), 15);
  EXPECT_DOUBLE_EQ(deviceBufferMs(500), 100);
  EXPECT_GT(deviceBufferMs(0), 0);
}

TEST(AlsaFormat, Surround51MapsToAlsaPositionsAndDefaultOrder) {
  const auto positions = alsaPositionsForMask(protocol::masks::kSurround5_1, 6);
  const std::vector<unsigned> scream = {SND_CHMAP_FL,  SND_CHMAP_FR, SND_CHMAP_FC,
                                        SND_CHMAP_LFE, SND_CHMAP_RL, SND_CHMAP_RR};
  EXPECT_EQ(positions, scream);
  const auto device = alsaDefaultOrder(positions);
  const std::vector<unsigned> alsa = {SND_CHMAP_FL, SND_CHMAP_FR, SND_CHMAP_RL,
                                      SND_CHMAP_RR, SND_CHMAP_FC, SND_CHMAP_LFE};
  EXPECT_EQ(device, alsa);
  // Device slot i plays stream channel permutation[i].
  const std::vector<unsigned> expected = {0, 1, 4, 5, 2, 3};
  EXPECT_EQ(channelPermutation(positions, device), expected);
  EXPECT_FALSE(isIdentity(channelPermutation(positions, device)));
}

TEST(AlsaFormat, StereoAndMonoNeedNoReorder) {
  const auto stereo = alsaPositionsForMask(protocol::masks::kStereo, 2);
  EXPECT_TRUE(isIdentity(channelPermutation(stereo, alsaDefaultOrder(stereo))));
  const auto mono = alsaPositionsForMask(protocol::masks::kMono, 1);
  EXPECT_EQ(mono, std::vector<unsigned>{SND_CHMAP_MONO});
  EXPECT_TRUE(isIdentity(channelPermutation(mono, alsaDefaultOrder(mono))));
}

TEST(AlsaFormat, SevenOneSidesGoLast) {
  const auto positions = alsaPositionsForMask(protocol::masks::k7_1Surround, 8);
  const std::vector<unsigned> alsa = {SND_CHMAP_FL, SND_CHMAP_FR,  SND_CHMAP_RL, SND_CHMAP_RR,
                                      SND_CHMAP_FC, SND_CHMAP_LFE, SND_CHMAP_SL, SND_CHMAP_SR};
  EXPECT_EQ(alsaDefaultOrder(positions), alsa);
}

TEST(AlsaFormat, ADeviceOrderWithUnknownSlotsKeepsEveryChannelOnce) {
  const auto positions = alsaPositionsForMask(protocol::masks::kQuad, 4);  // FL FR RL RR
  const std::vector<unsigned> device = {SND_CHMAP_FR, SND_CHMAP_FL, SND_CHMAP_NA, SND_CHMAP_RR};
  const auto permutation = channelPermutation(positions, device);
  EXPECT_EQ(permutation[0], 1u);
  EXPECT_EQ(permutation[1], 0u);
  EXPECT_EQ(permutation[3], 3u);
  EXPECT_EQ(permutation[2], 2u);  // the one left over
}

}  // namespace
}  // namespace scream::receiver
