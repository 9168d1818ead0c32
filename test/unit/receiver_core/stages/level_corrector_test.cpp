#include "receivers/core/level_corrector.h"

#include <gtest/gtest.h>

namespace scream::receiver {
namespace {

using Action = LevelCorrector::Action;
using Reason = LevelCorrector::Reason;
constexpr double kRate = 48000;
constexpr size_t kMinPeriod = 120, kMaxPeriod = 720;

LevelCorrector::Decision decide(LevelCorrector& lc, double now, double errorMs, double owed = 0,
                                bool ringLow = true, bool busy = false) {
  return lc.decide(now, 0.005, errorMs / 1000, owed, kRate, kMinPeriod, kMaxPeriod, busy, ringLow);
}

TEST(LevelCorrector, DatagramsDeclaredLostAreInsertedFirst) {
  LevelCorrector lc;
  const auto d = decide(lc, 10, 0.0, 288);
  EXPECT_EQ(d.action, Action::kInsert);
  EXPECT_EQ(d.reason, Reason::kOwed);
  EXPECT_EQ(d.frames, 288u);
  EXPECT_EQ(decide(lc, 10, 0.0, -288).action, Action::kCut) << "a duplicate already played";
  EXPECT_EQ(decide(lc, 10, 0.0, 40).action, Action::kNone) << "less than half a period";
}

TEST(LevelCorrector, WithinTheAllowanceTheRateControllerHasIt) {
  LevelCorrector lc;
  EXPECT_EQ(decide(lc, 10, 3.9).action, Action::kNone);
  EXPECT_EQ(decide(lc, 10, -3.9).action, Action::kNone);
}

TEST(LevelCorrector, AnExcessIsCutOnePeriodAtATime) {
  LevelCorrector lc;
  auto d = decide(lc, 10, 30);
  EXPECT_EQ(d.action, Action::kCut);
  EXPECT_EQ(d.frames, kMaxPeriod);
  EXPECT_EQ(decide(lc, 10.05, 30).action, Action::kNone) << "at most one every 100 ms";
  d = decide(lc, 10.2, 6);
  EXPECT_EQ(d.action, Action::kCut);
  EXPECT_EQ(d.frames, 288u);
  EXPECT_EQ(d.limit, 432u) << "no period that would leave more than half the error the other way";
}

TEST(LevelCorrector, AShortfallOnlyWhenTheRingItselfIsShort) {
  LevelCorrector lc;
  EXPECT_EQ(decide(lc, 10, -8, 0, /*ringLow=*/false).action, Action::kNone) << "late arrivals: jitter";
  EXPECT_EQ(decide(lc, 10, -8, 0, /*ringLow=*/true).action, Action::kInsert);
}

TEST(LevelCorrector, ACorrectionCountsBeforeTheMeterSeesIt) {
  LevelCorrector lc;
  ASSERT_EQ(decide(lc, 10, 6).action, Action::kCut);
  lc.onLevelApplied(-288, kRate);  // 6 ms cut
  EXPECT_NEAR(lc.effectiveError(0.006), 0.0, 1e-9);
  EXPECT_EQ(decide(lc, 10.2, 6).action, Action::kNone) << "not cut twice";
  // As the meter catches up (time constant 0.3 s), what it has not seen fades.
  for (int i = 0; i < 400; ++i) decide(lc, 10.2 + i * 0.005, 0.0, 0, true, /*busy=*/true);
  EXPECT_NEAR(lc.effectiveError(0.0), 0.0, 1e-5);
}

TEST(LevelCorrector, TheLevelPrimingLeftIsCorrectedOnce) {
  LevelCorrector lc;
  EXPECT_EQ(lc.correctStart(1, 0.0005, kRate, kMinPeriod, kMaxPeriod).action, Action::kNone);
  const auto d = lc.correctStart(1, -0.003, kRate, kMinPeriod, kMaxPeriod);
  EXPECT_EQ(d.action, Action::kInsert);
  EXPECT_EQ(d.frames, 144u);
}

}  // namespace
}  // namespace scream::receiver
