#include "receivers/core/latency_target.h"

#include <gtest/gtest.h>

namespace scream::receiver {
namespace {

LatencyTarget::Config config() {
  LatencyTarget::Config c;
  c.initialFrames = 1000;
  c.minFrames = 1000;
  c.maxFrames = 3000;
  c.stepUpFrames = 500;
  c.holdOffSeconds = 15;
  c.stepDownFrames = 100;
  return c;
}

TEST(LatencyTarget, StartsAtTheInitialValueClampedIntoRange) {
  LatencyTarget target;
  target.reset(config());
  EXPECT_EQ(target.frames(), 1000);
  auto c = config();
  c.initialFrames = 50;
  target.reset(c);
  EXPECT_EQ(target.frames(), 1000);
  c.initialFrames = 9000;
  target.reset(c);
  EXPECT_EQ(target.frames(), 3000);
}

TEST(LatencyTarget, UnderrunRaisesAtOnceUpToTheMaximum) {
  LatencyTarget target;
  target.reset(config());
  target.onUnderrun(1.0);
  EXPECT_EQ(target.frames(), 1500);
  target.onUnderrun(1.1);
  target.onUnderrun(1.2);
  target.onUnderrun(1.3);
  target.onUnderrun(1.4);
  EXPECT_EQ(target.frames(), 3000);
}

TEST(LatencyTarget, NearMissRaisesHalfAStep) {
  LatencyTarget target;
  target.reset(config());
  target.onNearMiss(2.0);
  EXPECT_EQ(target.frames(), 1250);
  target.onNearMiss(3.0);
  EXPECT_EQ(target.frames(), 1500);
}

TEST(LatencyTarget, LowersOneStepPerQuietHoldOff) {
  LatencyTarget target;
  target.reset(config());
  target.tick(0.0);
  target.onUnderrun(1.0);  // 1500
  for (double t = 1.0; t < 15.99; t += 0.005) target.tick(t);
  EXPECT_EQ(target.frames(), 1500);
  target.tick(16.0);
  EXPECT_EQ(target.frames(), 1400);
  // The next step needs another full hold-off after the lowering.
  for (double t = 16.0; t < 30.99; t += 0.005) target.tick(t);
  EXPECT_EQ(target.frames(), 1400);
  target.tick(31.0);
  EXPECT_EQ(target.frames(), 1300);
}

TEST(LatencyTarget, EventsRestartTheHoldOff) {
  LatencyTarget target;
  target.reset(config());
  target.onUnderrun(0.0);  // 1500
  target.tick(10.0);
  target.onNearMiss(10.0);  // 1750, and the hold-off starts again
  target.tick(24.0);
  EXPECT_EQ(target.frames(), 1750);
  target.tick(25.0);
  EXPECT_EQ(target.frames(), 1650);
}

TEST(LatencyTarget, NeverLowersBelowTheInitialOrMinimum) {
  LatencyTarget target;
  auto c = config();
  c.minFrames = 800;  // below the initial value: the initial value is the floor
  target.reset(c);
  target.onUnderrun(0.0);
  for (double t = 0; t < 600; t += 1.0) target.tick(t);
  EXPECT_EQ(target.frames(), 1000);
  c.initialFrames = 1000;
  c.minFrames = 1200;  // above it: the initial value is raised to the minimum
  target.reset(c);
  EXPECT_EQ(target.frames(), 1200);
  target.onUnderrun(0.0);
  for (double t = 0; t < 600; t += 1.0) target.tick(t);
  EXPECT_EQ(target.frames(), 1200);
}

TEST(LatencyTarget, TheHoldOffCountsFromTheFirstTick) {
  LatencyTarget target;
  auto c = config();
  c.initialFrames = 2000;
  c.minFrames = 500;
  target.reset(c);  // the floor is the initial value: nothing to lower...
  target.tick(1000.0);
  target.tick(1014.0);
  EXPECT_EQ(target.frames(), 2000);
  target.onUnderrun(1014.0);
  target.tick(1028.0);
  EXPECT_EQ(target.frames(), 2500);  // a monotonic clock that starts far from 0 is fine
  target.tick(1029.0);
  EXPECT_EQ(target.frames(), 2400);
}

TEST(LatencyTarget, PinnedNeverMoves) {
  LatencyTarget target;
  auto c = config();
  c.pinned = true;
  target.reset(c);
  target.onUnderrun(0.0);
  target.onNearMiss(0.5);
  for (double t = 0; t < 100; t += 1.0) target.tick(t);
  EXPECT_EQ(target.frames(), 1000);
}

TEST(LatencyTarget, StreamDefaults) {
  const auto cd = LatencyTarget::Config::forStream(48000, 288);  // 16 bit stereo
  EXPECT_DOUBLE_EQ(cd.initialFrames, 1152);                      // 4 payloads = 24 ms
  EXPECT_DOUBLE_EQ(cd.stepUpFrames, 576);                        // 2 payloads = 12 ms
  EXPECT_DOUBLE_EQ(cd.stepDownFrames, 96);
  EXPECT_DOUBLE_EQ(cd.maxFrames, 12000);
  EXPECT_DOUBLE_EQ(cd.holdOffSeconds, 15);
  EXPECT_FALSE(cd.pinned);
  const auto hd = LatencyTarget::Config::forStream(192000, 36);  // 32 bit, 8 channels
  EXPECT_DOUBLE_EQ(hd.initialFrames, 0.024 * 192000);            // 4 payloads would be 0.75 ms
  EXPECT_DOUBLE_EQ(hd.stepUpFrames, 0.010 * 192000);
}

}  // namespace
}  // namespace scream::receiver
