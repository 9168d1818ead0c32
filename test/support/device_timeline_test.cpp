#include "support/device_timeline.h"

#include <gtest/gtest.h>

#include <random>

namespace scream::testing {
namespace {

constexpr uint32_t kRate = 48000;
constexpr double kStartNs = 5e12;

// Truth: frame f of a device `ppm` off CLOCK_MONOTONIC played at kStartNs + f / (rate (1 + ppm)).
double truthNs(double frame, double ppm) { return kStartNs + frame * 1e9 / (kRate * (1 + ppm * 1e-6)); }

// A reader like PulseRecorder's: a read every 5 ms, stamps off by +-0.3 ms, and 1 % of the
// reads stalled 10-30 ms late.
std::vector<DeviceStamp> readsOf(double ppm, double seconds, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> wobble(-0.3e6, 0.3e6), stall(10e6, 30e6), pick(0, 1);
  std::vector<DeviceStamp> stamps;
  for (double f = 0; f < seconds * kRate; f += 240)
    stamps.push_back({f, truthNs(f, ppm) + wobble(random) + (pick(random) < 0.01 ? stall(random) : 0)});
  return stamps;
}

TEST(DeviceTimeline, MeasuresTheDeviceClockAgainstMonotonic) {
  for (double ppm : {-1000.0, -300.0, 0.0, 200.0, 1000.0}) {
    const DeviceTimeline timeline(readsOf(ppm, 120, 7), kRate);
    EXPECT_NEAR(timeline.clockPpm(), ppm, 2.0) << ppm;
    EXPECT_NEAR(timeline.spanSeconds(), 120, 0.01);
  }
}

TEST(DeviceTimeline, AStepInTheStampsDoesNotReadAsAClockOffset) {
  // A sink that shrinks its blocks when a low-latency stream joins (1 s into a 10 s recording)
  // delivers every later read 15 ms later against its play time.
  auto stamps = readsOf(200, 10, 5);
  for (DeviceStamp& s : stamps) s.ns += s.frame >= kRate ? 15e6 : 0;
  const DeviceTimeline timeline(stamps, kRate);
  EXPECT_NEAR(timeline.clockPpm(), 200, 30);
  EXPECT_NEAR(timeline.playedNs(5 * kRate), truthNs(5 * kRate, 200) + 15e6, 0.2e6);
}

TEST(DeviceTimeline, PlacesEachFrameByTheReadsAroundItNotByOneOrigin) {
  const double ppm = 230;  // the fastest null sink seen here
  const double seconds = 600;
  const DeviceTimeline timeline(readsOf(ppm, seconds, 3), kRate);
  for (double at : {0.5, 60.0, 300.0, 599.5}) {
    const double frame = at * kRate;
    EXPECT_NEAR(timeline.playedNs(frame), truthNs(frame, ppm), 0.2e6) << at << " s";
    EXPECT_NEAR(timeline.frameAt(truthNs(frame, ppm)), frame, 10) << at << " s";
  }
  // What one origin makes of it: 69 ms wrong at either end of 10 minutes.
  const DeviceTimeline oneOrigin = timeline.oneOrigin();
  EXPECT_NEAR(oneOrigin.clockPpm(), 0, 1e-6);
  EXPECT_NEAR(oneOrigin.playedNs(seconds * kRate) - truthNs(seconds * kRate, ppm), 69e6, 2e6);
}

TEST(DeviceTimeline, EmptyAndShortRecordings) {
  const DeviceTimeline none({}, kRate);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.clockPpm(), 0);
  EXPECT_DOUBLE_EQ(none.playedNs(48000), 1e9);
  const DeviceTimeline one({{0, kStartNs}}, kRate);
  EXPECT_EQ(one.clockPpm(), 0);
  EXPECT_DOUBLE_EQ(one.playedNs(24000), kStartNs + 0.5e9);
}

}  // namespace
}  // namespace scream::testing
