#include "marker_match.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace scream::bench {
namespace {

// Send times like the tone's markers: 0.4-1.6 s apart, irregular.
std::vector<double> sendTimes(size_t count) {
  std::mt19937 random(11);
  std::uniform_int_distribution<int> hundredths(40, 160);
  std::vector<double> out{1e9};
  while (out.size() < count) out.push_back(out.back() + hundredths(random) * 1e7);
  return out;
}

size_t matched(const std::vector<double>& ms) {
  size_t n = 0;
  for (double m : ms) n += !std::isnan(m);
  return n;
}

TEST(MarkerMatch, FindsALatencyLongerThanTheMarkerSpacing) {
  const auto send = sendTimes(40);
  std::vector<double> onsets;
  for (size_t i = 3; i < send.size(); ++i) onsets.push_back(send[i] + 1700e6);  // recorded late
  const auto ms = matchMarkers(send, onsets);
  EXPECT_EQ(matched(ms), send.size() - 3);
  for (size_t i = 3; i < ms.size(); ++i) EXPECT_NEAR(ms[i], 1700, 1e-6) << i;
}

TEST(MarkerMatch, FollowsDriftAndStepsIgnoresMissingAndSpuriousOnsets) {
  const auto send = sendTimes(600);  // ~10 minutes
  std::vector<double> onsets, truth(send.size());
  for (size_t i = 0; i < send.size(); ++i) {
    // 80 ms, drifting 150 ms/min (no drift control against a null sink 2500 ppm fast), a 50 ms step.
    truth[i] = 80 + 2.5 * (send[i] - send[0]) * 1e-9 + (i >= 300 ? 50 : 0);
    if (i % 17 != 5) onsets.push_back(send[i] + truth[i] * 1e6);  // some markers lost
    if (i % 23 == 0) onsets.push_back(send[i] + 337e6);            // a click read as a marker
  }
  std::sort(onsets.begin(), onsets.end());
  const auto ms = matchMarkers(send, onsets);
  size_t right = 0;
  for (size_t i = 0; i < ms.size(); ++i) {
    if (i % 17 == 5) {
      EXPECT_TRUE(std::isnan(ms[i])) << i;
    } else {
      right += std::fabs(ms[i] - truth[i]) < 1e-6;
    }
  }
  EXPECT_EQ(right, send.size() - (send.size() + 11) / 17);
}

TEST(MarkerMatch, NothingToMatch) {
  EXPECT_EQ(matched(matchMarkers(sendTimes(10), {})), 0u);
  EXPECT_TRUE(matchMarkers({}, {1e9}).empty());
}

}  // namespace
}  // namespace scream::bench
