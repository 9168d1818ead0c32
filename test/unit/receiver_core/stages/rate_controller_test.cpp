// RateController in closed loop with the simplest plant there is: the latency error grows at the
// clock mismatch minus the correction (de/dt = d - c), updated every 5 ms like a sound card.
#include "receivers/core/rate_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace scream::receiver {
namespace {

struct LoopRun {
  double peakError = 0, finalError = 0, finalCorrection = 0, maxStep = 0;
};

LoopRun closeTheLoop(RateController& rc, double mismatch, double seconds, double initialError = 0) {
  LoopRun r;
  double e = initialError, c = 0;
  const double dt = 0.005;
  for (double t = 0; t < seconds; t += dt) {
    const double next = rc.update(e, dt);
    r.maxStep = std::max(r.maxStep, std::fabs(next - c));
    c = next;
    e += (mismatch - c) * dt;
    if (t > 1) r.peakError = std::max(r.peakError, std::fabs(e));
  }
  r.finalError = e;
  r.finalCorrection = c;
  return r;
}

TEST(RateController, LearnsAThousandPpmMismatchWithinTwoMilliseconds) {
  for (double ppm : {+1000.0, -1000.0, +300.0}) {
    RateController rc;
    const LoopRun r = closeTheLoop(rc, ppm * 1e-6, 90);
    EXPECT_LT(r.peakError, 0.002) << ppm;
    EXPECT_NEAR(r.finalCorrection * 1e6, ppm, 10) << ppm;
    EXPECT_NEAR(r.finalError, 0.0, 0.0002) << ppm;
  }
}

TEST(RateController, NeverBeyondTwoThousandPpm) {
  RateController rc;
  const LoopRun r = closeTheLoop(rc, 0.01, 10);  // a "clock" 1 % off is not a clock: lost datagrams
  EXPECT_NEAR(r.finalCorrection, 0.002, 1e-9);
}

TEST(RateController, MovesSlowly) {
  RateController rc;
  const LoopRun r = closeTheLoop(rc, 0, 5, 0.003);  // a 3 ms error at once
  // 2000 ppm/s at the widest, 5 ms steps.
  EXPECT_LE(r.maxStep, 2000e-6 * 0.005 + 1e-12);
}

TEST(RateController, ALevelBeyondTheClampIsNotLearntAsDrift) {
  RateController rc;
  for (int i = 0; i < 2000; ++i) rc.update(0.010, 0.005);  // 10 ms for 10 s: a level to cut
  EXPECT_EQ(rc.integral(), 0.0);
  EXPECT_GT(rc.correction(), 0.0) << "the proportional part still leans on it";
}

TEST(RateController, NarrowsOnlyOnceItHoldsItsTarget) {
  RateController rc;
  const double wide = rc.omega();
  for (int i = 0; i < 4000; ++i) rc.update(0.003, 0.005);  // 20 s off target
  EXPECT_EQ(rc.omega(), wide);
  rc.reset();
  for (int i = 0; i < 4000; ++i) rc.update(0.0, 0.005);
  EXPECT_LT(rc.omega(), wide / 2);
}

}  // namespace
}  // namespace scream::receiver
