#include "driver/core/endpoint_formats.h"

#include <gtest/gtest.h>

#include <vector>

namespace scream::driver {
namespace {

WaveDescription extensible(uint32_t rate, uint32_t container, uint32_t valid, uint32_t channels,
                           uint32_t mask) {
  WaveDescription w;
  w.integerPcm = true;
  w.extensible = true;
  w.sampleRate = rate;
  w.channels = channels;
  w.containerBits = container;
  w.validBits = valid;
  w.blockAlign = channels * (container / 8);
  w.avgBytesPerSecond = rate * w.blockAlign;
  w.channelMask = mask;
  return w;
}

const std::vector<uint32_t> kAllChannelCounts = {1, 2, 3, 4, 5, 6, 7, 8};

TEST(EndpointFormats, EveryAdvertisedRateDepthAndChannelCountIsAcceptedAsIs) {
  int accepted = 0;
  for (uint32_t rate : kEndpointRates) {
    for (uint16_t bits : kEndpointContainerBits) {
      for (uint32_t channels : kAllChannelCounts) {
        protocol::Format wire;
        const uint32_t mask = defaultChannelMask(channels);
        ASSERT_EQ(judgeWave(extensible(rate, bits, bits, channels, mask), &wire),
                  WaveVerdict::kAccepted)
            << rate << "/" << bits << "/" << channels;
        EXPECT_EQ(wire, (protocol::Format{rate, static_cast<uint8_t>(bits),
                                          static_cast<uint8_t>(channels),
                                          static_cast<uint16_t>(mask)}));
        EXPECT_EQ(protocol::validateFormat(wire), protocol::FormatError::kOk);
        ++accepted;
      }
    }
  }
  EXPECT_EQ(accepted, 6 * 3 * 8);
}

TEST(EndpointFormats, FewerValidBitsThanTheContainerSendTheContainer) {
  protocol::Format wire;
  ASSERT_EQ(judgeWave(extensible(48000, 32, 24, 2, 0x3), &wire), WaveVerdict::kAccepted);
  EXPECT_EQ(wire.bitsPerSample, 32) << "24-in-32 leaves as 32 bit, bytes untouched";
  ASSERT_EQ(judgeWave(extensible(96000, 24, 20, 6, 0x3F), &wire), WaveVerdict::kAccepted);
  EXPECT_EQ(wire.bitsPerSample, 24);
  ASSERT_EQ(judgeWave(extensible(44100, 16, 1, 1, 0x4), &wire), WaveVerdict::kAccepted);
  EXPECT_EQ(judgeWave(extensible(48000, 32, 0, 2, 0x3), nullptr), WaveVerdict::kValidBits);
  EXPECT_EQ(judgeWave(extensible(48000, 24, 32, 2, 0x3), nullptr), WaveVerdict::kValidBits);
}

// The data ranges list exactly the rates and containers (each with 1-8 channels): whatever a
// range admits must be accepted, whatever it does not must be refused.
TEST(EndpointFormats, AcceptedExactlyWhereTheDataRangesAdmit) {
  const std::vector<uint32_t> rates = {8000,  11025, 16000,  22050,  32000,  44100, 48000,
                                       64000, 88200, 96000,  128000, 176400, 192000, 352800,
                                       384000, 44101, 47999};
  for (uint32_t rate : rates) {
    for (uint32_t bits = 1; bits <= 64; ++bits) {
      for (uint32_t channels = 0; channels <= 10; ++channels) {
        const bool admitted = isEndpointRate(rate) && isEndpointContainer(bits) &&
                              channels >= 1 && channels <= kEndpointMaxChannels;
        WaveDescription w = extensible(rate, bits, bits, channels, 0);
        if (bits % 8 != 0) w.blockAlign = channels * ((bits + 7) / 8);  // as Windows rounds
        w.avgBytesPerSecond = rate * w.blockAlign;
        EXPECT_EQ(judgeWave(w, nullptr) == WaveVerdict::kAccepted, admitted)
            << rate << "/" << bits << "/" << channels;
      }
    }
  }
}

TEST(EndpointFormats, PlainWaveFormatExGetsTheDefaultMask) {
  WaveDescription w = extensible(48000, 16, 0, 6, 0);
  w.extensible = false;
  protocol::Format wire;
  ASSERT_EQ(judgeWave(w, &wire), WaveVerdict::kAccepted) << "valid bits do not exist there";
  EXPECT_EQ(wire.channelMask, 0x3F);
  w = extensible(48000, 24, 0, 5, 0);
  w.extensible = false;
  ASSERT_EQ(judgeWave(w, &wire), WaveVerdict::kAccepted);
  EXPECT_EQ(wire.channelMask, 0) << "no standard layout for 5 channels";
}

TEST(EndpointFormats, ExtensibleMaskPassesThroughLow16Bits) {
  protocol::Format wire;
  ASSERT_EQ(judgeWave(extensible(48000, 16, 16, 2, 0x3000F), &wire), WaveVerdict::kAccepted);
  EXPECT_EQ(wire.channelMask, 0x000F);
}

TEST(EndpointFormats, EachRuleRefusesWithItsOwnVerdict) {
  WaveDescription w = extensible(48000, 16, 16, 2, 0x3);
  w.integerPcm = false;
  EXPECT_EQ(judgeWave(w, nullptr), WaveVerdict::kNotIntegerPcm);
  EXPECT_EQ(judgeWave(extensible(22050, 16, 16, 2, 3), nullptr), WaveVerdict::kRate);
  EXPECT_EQ(judgeWave(extensible(48000, 8, 8, 2, 3), nullptr), WaveVerdict::kContainerBits);
  EXPECT_EQ(judgeWave(extensible(48000, 20, 20, 2, 3), nullptr), WaveVerdict::kContainerBits);
  EXPECT_EQ(judgeWave(extensible(48000, 16, 16, 0, 0), nullptr), WaveVerdict::kChannels);
  EXPECT_EQ(judgeWave(extensible(48000, 16, 16, 9, 0), nullptr), WaveVerdict::kChannels);
  w = extensible(48000, 16, 16, 2, 3);
  w.blockAlign = 6;
  EXPECT_EQ(judgeWave(w, nullptr), WaveVerdict::kBlockAlign);
  w = extensible(48000, 16, 16, 2, 3);
  w.avgBytesPerSecond += 1;
  EXPECT_EQ(judgeWave(w, nullptr), WaveVerdict::kAvgBytesPerSecond);
  for (int v = 0; v <= static_cast<int>(WaveVerdict::kAvgBytesPerSecond); ++v) {
    EXPECT_STRNE(describe(static_cast<WaveVerdict>(v)), "?");
  }
}

TEST(EndpointFormats, DefaultFormatIsAccepted) {
  const protocol::Format& d = kEndpointDefaultFormat;
  protocol::Format wire;
  ASSERT_EQ(judgeWave(extensible(d.sampleRate, d.bitsPerSample, d.bitsPerSample, d.channels,
                                 d.channelMask),
                      &wire),
            WaveVerdict::kAccepted);
  EXPECT_EQ(wire, d);
}

}  // namespace
}  // namespace scream::driver
