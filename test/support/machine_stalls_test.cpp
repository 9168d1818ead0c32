// The stall rule and the glitch attribution, on made-up probe records (a real stall cannot be
// ordered up; the probe's thread itself is exercised by every real-time test that uses it).
#include "support/machine_stalls.h"

#include <gtest/gtest.h>

namespace scream::testing {
namespace {

constexpr double kMs = 1e6;

TEST(MachineStalls, LateWakeUpsCloseTogetherAreOneStall) {
  // Four 7 ms late wake-ups 8 ms apart (the pattern measured on the test VM), then one alone.
  const std::vector<std::pair<double, double>> late = {
      {1000 * kMs, 7}, {1008 * kMs, 7}, {1016 * kMs, 7}, {1024 * kMs, 7}, {5000 * kMs, 6}};
  const auto stalls = MachineStallProbe::joinStalls(late, 20);
  ASSERT_EQ(stalls.size(), 1u);
  EXPECT_DOUBLE_EQ(stalls[0].lostMs, 28);
  EXPECT_DOUBLE_EQ(stalls[0].startNs, 1000 * kMs);
  EXPECT_DOUBLE_EQ(stalls[0].endNs, 1031 * kMs);
  EXPECT_EQ(MachineStallProbe::joinStalls(late, 5).size(), 2u);
}

TEST(MachineStalls, LateWakeUpsFarApartAreNotAStall) {
  const std::vector<std::pair<double, double>> late = {
      {1000 * kMs, 7}, {1100 * kMs, 7}, {1200 * kMs, 7}, {1300 * kMs, 7}};
  EXPECT_TRUE(MachineStallProbe::joinStalls(late, 20).empty());
}

TEST(MachineStalls, OnlyAGlitchNearAStallIsAttributedToIt) {
  const std::vector<MachineStallProbe::Stall> stalls = {{10'000 * kMs, 10'031 * kMs, 28, 1}};
  GlitchReport glitches;
  glitches.list = {{9.95, 25}, {10.02, 25}, {10.6, 25}, {20.0, 5}};
  glitches.events = glitches.list.size();
  // The recording started at monotonic 0.
  const auto a = attributeGlitches(glitches, stalls, [](double s) { return s * 1e9; });
  ASSERT_EQ(a.duringStalls.size(), 2u);  // 9.95 s: just before it began; 10.02 s: during it
  EXPECT_DOUBLE_EQ(a.duringStalls[0].startSeconds, 9.95);
  EXPECT_DOUBLE_EQ(a.duringStalls[1].startSeconds, 10.02);
  ASSERT_EQ(a.unexplained.size(), 2u);  // 10.6 s: more than half a second after; 20 s
  EXPECT_NEAR(a.windowSeconds, 0.631, 1e-9);
  EXPECT_NE(a.text.find("machine stall at 10.000 s of the recording: CPU 1 lost 28 ms"),
            std::string::npos) << a.text;
  EXPECT_TRUE(nearStall(stalls, 12'000 * kMs, 2.0));
  EXPECT_FALSE(nearStall(stalls, 12'100 * kMs, 2.0));
  EXPECT_FALSE(nearStall(stalls, 9'800 * kMs, 2.0));
}

}  // namespace
}  // namespace scream::testing
