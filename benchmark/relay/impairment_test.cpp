// The relay's impairments do what their numbers say and repeat exactly for the same seed: the
// benchmark compares runs, so the same scenario must hit the stream the same way every time.
#include "impairment.h"

#include <gtest/gtest.h>

namespace scream::bench {
namespace {

constexpr int64_t kPacketNs = 6000000;  // 48 kHz stereo 16-bit: one datagram per 6 ms

std::vector<std::vector<Departure>> play(const ImpairmentConfig& config, int packets) {
  Impairment impairment(config);
  std::vector<std::vector<Departure>> fates;
  for (int i = 0; i < packets; ++i) fates.push_back(impairment.decide(i * kPacketNs));
  return fates;
}

TEST(Impairment, SameSeedSameFatesOtherSeedOtherFates) {
  ImpairmentConfig config;
  config.jitterMs = 20, config.lossPct = 5, config.reorderPct = 5, config.duplicatePct = 5;
  const auto a = play(config, 2000), b = play(config, 2000);
  config.seed = 2;
  const auto c = play(config, 2000);
  auto same = [](const auto& x, const auto& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (x[i].size() != y[i].size()) return false;
      for (size_t j = 0; j < x[i].size(); ++j)
        if (x[i][j].atNs != y[i][j].atNs || x[i][j].duplicate != y[i][j].duplicate) return false;
    }
    return true;
  };
  EXPECT_TRUE(same(a, b));
  EXPECT_FALSE(same(a, c));
}

TEST(Impairment, RatesMatchTheConfiguration) {
  ImpairmentConfig config;
  config.lossPct = 1, config.duplicatePct = 1, config.reorderPct = 2;
  Impairment impairment(config);
  for (int i = 0; i < 100000; ++i) impairment.decide(i * kPacketNs);
  const ImpairmentCounts& c = impairment.counts();
  EXPECT_NEAR(static_cast<double>(c.dropped), 1000, 150);
  EXPECT_NEAR(static_cast<double>(c.duplicated), 990, 150);
  EXPECT_NEAR(static_cast<double>(c.reordered), 1980, 200);
}

TEST(Impairment, JitterKeepsOrderAndStaysInBounds) {
  ImpairmentConfig config;
  config.jitterMs = 20;
  int64_t previous = 0;
  int64_t maxExtra = 0;
  const auto fates = play(config, 5000);
  for (size_t i = 0; i < fates.size(); ++i) {
    ASSERT_EQ(fates[i].size(), 1u);
    EXPECT_GE(fates[i][0].atNs, previous);
    previous = fates[i][0].atNs;
    maxExtra = std::max(maxExtra, fates[i][0].atNs - static_cast<int64_t>(i) * kPacketNs);
  }
  EXPECT_LE(maxExtra, 20000000);
  EXPECT_GT(maxExtra, 15000000);
}

TEST(Impairment, StallsHoldEverythingThenReleaseAtOnce) {
  ImpairmentConfig config;
  config.stallMs = 80, config.stallEveryMs = 5000;
  const auto fates = play(config, 2000);  // 12 s: stalls end at 5 s and 10 s
  int held = 0;
  for (size_t i = 0; i < fates.size(); ++i) {
    const int64_t arrival = static_cast<int64_t>(i) * kPacketNs;
    const int64_t stallEnd = (arrival / 5000000000 + 1) * 5000000000;
    const int64_t at = fates[i][0].atNs;
    if (arrival >= stallEnd - 80000000) {
      EXPECT_EQ(at, stallEnd);
      ++held;
    } else {
      EXPECT_EQ(at, arrival);
    }
  }
  EXPECT_GE(held, 26);  // 80 ms of 6 ms datagrams (13 or 14), twice
  EXPECT_LE(held, 28);
}

TEST(Impairment, BurstLossDropsRuns) {
  ImpairmentConfig config;
  config.burstLossPct = 1, config.burstLossLength = 5;
  const auto fates = play(config, 20000);
  int runs = 0, run = 0, longest = 0;
  for (const auto& f : fates) {
    if (f.empty()) {
      if (run++ == 0) ++runs;
      longest = std::max(longest, run);
    } else {
      run = 0;
    }
  }
  EXPECT_GT(runs, 100);
  EXPECT_GE(longest, 5);
}

}  // namespace
}  // namespace scream::bench
