#include "receivers/core/pcm_convert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace scream::receiver {
namespace {

TEST(PcmConvert, BytesPerSample) {
  EXPECT_EQ(bytesPerSample(SampleFormat::kS16LE), 2u);
  EXPECT_EQ(bytesPerSample(SampleFormat::kS24_3LE), 3u);
  EXPECT_EQ(bytesPerSample(SampleFormat::kS32LE), 4u);
  EXPECT_EQ(bytesPerSample(SampleFormat::kFloat32LE), 4u);
}

TEST(PcmConvert, ExtremesMapToMinusOneAndJustBelowOne) {
  const uint8_t s16[] = {0x00, 0x80, 0xFF, 0x7F, 0x00, 0x00, 0xFF, 0xFF};
  float f[4];
  pcmToFloat(s16, 4, 16, f);
  EXPECT_EQ(f[0], -1.0f);
  EXPECT_EQ(f[1], 32767.0f / 32768.0f);
  EXPECT_EQ(f[2], 0.0f);
  EXPECT_EQ(f[3], -1.0f / 32768.0f);

  const uint8_t s24[] = {0x00, 0x00, 0x80, 0xFF, 0xFF, 0x7F, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0xFF};
  pcmToFloat(s24, 4, 24, f);
  EXPECT_EQ(f[0], -1.0f);
  EXPECT_EQ(f[1], 8388607.0f / 8388608.0f);
  EXPECT_EQ(f[2], 1.0f / 8388608.0f);
  EXPECT_EQ(f[3], -1.0f / 8388608.0f);

  const uint8_t s32[] = {0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x40, 0xFF, 0xFF, 0xFF, 0xFF};
  pcmToFloat(s32, 3, 32, f);
  EXPECT_EQ(f[0], -1.0f);
  EXPECT_EQ(f[1], 0.5f);
  EXPECT_EQ(f[2], -1.0f / 2147483648.0f);
}

TEST(PcmConvert, UnsupportedBitDepthIsSilence) {
  const uint8_t in[4] = {1, 2, 3, 4};
  float f[2] = {7, 7};
  pcmToFloat(in, 2, 8, f);
  EXPECT_EQ(f[0], 0.0f);
  EXPECT_EQ(f[1], 0.0f);
}

TEST(PcmConvert, SixteenBitRoundTripIsBitExact) {
  std::vector<uint8_t> in(65536 * 2), out(in.size());
  for (uint32_t v = 0; v < 65536; ++v) {
    in[2 * v] = static_cast<uint8_t>(v);
    in[2 * v + 1] = static_cast<uint8_t>(v >> 8);
  }
  std::vector<float> f(65536);
  pcmToFloat(in.data(), f.size(), 16, f.data());
  floatToPcm(f.data(), f.size(), SampleFormat::kS16LE, out.data());
  EXPECT_EQ(in, out);
}

TEST(PcmConvert, TwentyFourBitRoundTripIsBitExact) {
  // Every value near both ends and zero, and a random sample of the rest.
  std::vector<int32_t> values;
  for (int32_t v = -8388608; v < -8388608 + 4096; ++v) values.push_back(v);
  for (int32_t v = -4096; v < 4096; ++v) values.push_back(v);
  for (int32_t v = 8388607 - 4096; v <= 8388607; ++v) values.push_back(v);
  std::mt19937 rng(3);
  for (int i = 0; i < 100000; ++i)
    values.push_back(static_cast<int32_t>(rng() % 16777216) - 8388608);
  std::vector<uint8_t> in(values.size() * 3), out(in.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const auto u = static_cast<uint32_t>(values[i]);
    in[3 * i] = static_cast<uint8_t>(u);
    in[3 * i + 1] = static_cast<uint8_t>(u >> 8);
    in[3 * i + 2] = static_cast<uint8_t>(u >> 16);
  }
  std::vector<float> f(values.size());
  pcmToFloat(in.data(), f.size(), 24, f.data());
  floatToPcm(f.data(), f.size(), SampleFormat::kS24_3LE, out.data());
  EXPECT_EQ(in, out);
}

TEST(PcmConvert, ThirtyTwoBitKeepsTwentyFourSignificantBits) {
  const int32_t values[] = {INT32_MIN, INT32_MAX, 0, 123456789, -987654321, 256, -256};
  uint8_t in[sizeof values], out[sizeof values];
  for (size_t i = 0; i < 7; ++i) {
    const auto u = static_cast<uint32_t>(values[i]);
    for (int b = 0; b < 4; ++b) in[4 * i + b] = static_cast<uint8_t>(u >> (8 * b));
  }
  float f[7];
  pcmToFloat(in, 7, 32, f);
  floatToPcm(f, 7, SampleFormat::kS32LE, out);
  for (size_t i = 0; i < 7; ++i) {
    uint32_t u = 0;
    for (int b = 0; b < 4; ++b) u |= uint32_t{out[4 * i + b]} << (8 * b);
    const double got = static_cast<int32_t>(u);
    EXPECT_NEAR(got, values[i], std::fabs(static_cast<double>(values[i])) * 6e-8 + 1) << i;
  }
}

TEST(PcmConvert, ClipsAndRoundsToNearest) {
  const float in[] = {1.0f,
                      2.5f,
                      -1.0f,
                      -7.0f,
                      0.4f / 32768,
                      0.6f / 32768,
                      -0.6f / 32768,
                      std::numeric_limits<float>::quiet_NaN(),
                      std::numeric_limits<float>::infinity()};
  constexpr size_t n = sizeof in / sizeof in[0];
  uint8_t out16[n * 2];
  floatToPcm(in, n, SampleFormat::kS16LE, out16);
  auto s16 = [&](size_t i) { return static_cast<int16_t>(out16[2 * i] | out16[2 * i + 1] << 8); };
  EXPECT_EQ(s16(0), 32767);
  EXPECT_EQ(s16(1), 32767);
  EXPECT_EQ(s16(2), -32768);
  EXPECT_EQ(s16(3), -32768);
  EXPECT_EQ(s16(4), 0);
  EXPECT_EQ(s16(5), 1);
  EXPECT_EQ(s16(6), -1);
  EXPECT_EQ(s16(7), 0);
  EXPECT_EQ(s16(8), 32767);

  uint8_t out24[n * 3];
  floatToPcm(in, n, SampleFormat::kS24_3LE, out24);
  auto s24 = [&](size_t i) {
    const uint32_t u = uint32_t{out24[3 * i]} << 8 | uint32_t{out24[3 * i + 1]} << 16 |
                       uint32_t{out24[3 * i + 2]} << 24;
    return static_cast<int32_t>(u) >> 8;
  };
  EXPECT_EQ(s24(0), 8388607);
  EXPECT_EQ(s24(3), -8388608);
  EXPECT_EQ(s24(7), 0);

  uint8_t out32[n * 4];
  floatToPcm(in, n, SampleFormat::kS32LE, out32);
  auto s32 = [&](size_t i) {
    uint32_t u = 0;
    for (int b = 0; b < 4; ++b) u |= uint32_t{out32[4 * i + b]} << (8 * b);
    return static_cast<int32_t>(u);
  };
  EXPECT_EQ(s32(0), INT32_MAX);  // 1.0 * 2^31 does not fit: clipped, not wrapped
  EXPECT_EQ(s32(2), INT32_MIN);
  EXPECT_EQ(s32(3), INT32_MIN);
  EXPECT_EQ(s32(7), 0);
}

TEST(PcmConvert, FloatOutputIsClippedAndSanitized) {
  const float in[] = {0.25f, 1.5f, -3.0f, std::numeric_limits<float>::quiet_NaN()};
  float out[4];
  floatToPcm(in, 4, SampleFormat::kFloat32LE, reinterpret_cast<uint8_t*>(out));
  EXPECT_EQ(out[0], 0.25f);  // this host is little-endian
  EXPECT_EQ(out[1], 1.0f);
  EXPECT_EQ(out[2], -1.0f);
  EXPECT_EQ(out[3], 0.0f);
}

}  // namespace
}  // namespace scream::receiver
