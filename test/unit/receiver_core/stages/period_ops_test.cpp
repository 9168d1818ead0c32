#include "receivers/core/period_ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace scream::receiver {
namespace {

std::vector<float> tone(double hz, size_t frames, unsigned channels = 2) {
  std::vector<float> x(frames * channels);
  for (size_t f = 0; f < frames; ++f) {
    x[f * channels] = static_cast<float>(0.5 * std::sin(2 * M_PI * hz * f / 48000.0));
  }
  return x;
}

// How far a lag is from a whole number of periods, in frames.
double phaseError(size_t lag, double hz) {
  const double periods = lag * hz / 48000.0;
  return std::fabs(periods - std::round(periods)) * 48000.0 / hz;
}

TEST(PeriodOps, TheBestPeriodIsAWholeNumberOfCycles) {
  const auto x = tone(997, 2000);
  const PeriodMatch m = findPeriodBefore(x.data(), 2000, 2, 120, 720, 240, 3);
  EXPECT_LT(phaseError(m.lag, 997), 0.05) << m.lag;  // 337 = 7 cycles, off by 0.01 frame
  EXPECT_GT(m.correlation, 0.9999);
}

TEST(PeriodOps, APreferredLengthTakesTheNearestCleanPeriod) {
  const auto x = tone(1000, 2000);  // 48 frames a cycle: every multiple is clean
  const PeriodMatch m = findPeriodAfter(x.data(), 2, 120, 720, 240, 3, {288, 0});
  EXPECT_EQ(m.lag, 288u);
  // 997 Hz is clean only at 337 (and 674): no clean period up to 300 frames.
  const auto y = tone(997, 2000);
  EXPECT_EQ(findPeriodAfter(y.data(), 2, 120, 720, 240, 3, {288, 300}).lag, 0u);
  EXPECT_EQ(findPeriodAfter(y.data(), 2, 120, 720, 240, 3, {288, 0}).lag, 337u);
}

TEST(PeriodOps, CrossfadeRunsFromOneSignalToTheOther) {
  std::vector<float> a(100 * 2, 1.0f), b(100 * 2, -1.0f), out(100 * 2);
  crossfade(a.data(), b.data(), out.data(), 100, 2);
  EXPECT_NEAR(out[0], 1.0f, 0.01f);
  EXPECT_NEAR(out[99 * 2], -1.0f, 0.01f);
  EXPECT_NEAR(out[50 * 2] + out[49 * 2], 0.0f, 0.05f);
  for (size_t f = 1; f < 100; ++f) EXPECT_LE(out[f * 2], out[(f - 1) * 2]);
}

TEST(PeriodOps, SilenceCorrelatesWithNothing) {
  std::vector<float> z(2000 * 2, 0.0f);
  EXPECT_EQ(normalizedCorrelation(z.data(), z.data() + 200, 240, 2), 0.0);
}

}  // namespace
}  // namespace scream::receiver
