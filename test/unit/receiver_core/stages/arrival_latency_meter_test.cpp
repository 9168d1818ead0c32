// The latency meter on synthetic packets: a steady stream reads its true wait, lateness is taken
// out, a timeline shift after the fact is taken back out, silence starts it over; the burst meter follows the sender's
// longest gap, up at once and down slowly.
#include "receivers/core/arrival_latency_meter.h"

#include <gtest/gtest.h>

#include <cmath>

namespace scream::receiver {
namespace {

constexpr double kRate = 48000;
constexpr size_t kFrames = 288;  // a 6 ms datagram

// Packet i's frames arrive `waitSeconds` before they play, frame 0 playing at t = 1 s.
int64_t arrivalOf(size_t i, double waitSeconds) {
  const double playMiddle = 1.0 + (static_cast<double>(i * kFrames) + 0.5 * kFrames) / kRate;
  return static_cast<int64_t>((playMiddle - waitSeconds) * 1e9);
}

TEST(ArrivalLatencyMeter, ASteadyStreamReadsItsWait) {
  ArrivalLatencyMeter meter(0.3);
  double latency = 0;
  for (size_t i = 0; i < 200; ++i) {
    latency = meter.measure(arrivalOf(i, 0.040), static_cast<double>(i * kFrames), kFrames, 1e9, kRate);
  }
  EXPECT_NEAR(latency, 0.040, 1e-6);
}

TEST(ArrivalLatencyMeter, AShiftFoundLateLeavesNoTrace) {
  ArrivalLatencyMeter meter(0.3);
  for (size_t i = 0; i < 200; ++i) {
    meter.measure(arrivalOf(i, 0.040), static_cast<double>(i * kFrames), kFrames, 1e9, kRate);
  }
  // One datagram was lost before packet 200; packets 200..209 were measured on the old timeline
  // (one datagram too early: they read 6 ms too short), then the loss is declared.
  for (size_t i = 200; i < 210; ++i) {
    meter.measure(arrivalOf(i + 1, 0.040), static_cast<double>(i * kFrames), kFrames, 1e9, kRate);
  }
  EXPECT_LT(meter.latencySeconds(), 0.039);
  const double corrected = meter.shift(kFrames, 10, kFrames, kRate);
  EXPECT_NEAR(corrected, 0.040, 1e-4);
}

// Packets late by 0-40 ms (a burst of jitter), each told how late: the figure is the wait from
// when they would have come on time, unmoved. Without the lateness it would read ~20 ms short,
// and the level corrector would insert for a burst that changes nothing about the clocks.
TEST(ArrivalLatencyMeter, LatenessIsTakenOut) {
  ArrivalLatencyMeter meter(0.3);
  ArrivalLatencyMeter raw(0.3);
  double latency = 0, rawLatency = 0;
  for (size_t i = 0; i < 300; ++i) {
    const double late = i >= 100 && i < 150 ? 0.040 * static_cast<double>((i * 7919) % 100) / 100.0 : 0.0;
    const int64_t arrival = arrivalOf(i, 0.040) + static_cast<int64_t>(late * 1e9);
    latency = meter.measure(arrival, static_cast<double>(i * kFrames), kFrames, 1e9, kRate, late);
    rawLatency = raw.measure(arrival, static_cast<double>(i * kFrames), kFrames, 1e9, kRate);
    if (i == 149) {
      EXPECT_LT(rawLatency, 0.030) << "the burst, unexplained";
    }
    EXPECT_NEAR(latency, 0.040, 1e-6) << i;
  }
}

TEST(ArrivalLatencyMeter, SilenceStartsItOver) {
  ArrivalLatencyMeter meter(0.3);
  meter.measure(arrivalOf(0, 0.040), 0, kFrames, 1e9, kRate);
  EXPECT_TRUE(std::isnan(meter.measure(arrivalOf(1, 0.040), kFrames, kFrames, std::nan(""), kRate)));
  EXPECT_TRUE(std::isnan(meter.shift(kFrames, 3, kFrames, kRate)));
  EXPECT_NEAR(meter.measure(arrivalOf(2, 0.025), 2 * kFrames, kFrames, 1e9, kRate), 0.025, 1e-6);
}

TEST(BurstMeter, UpAtOnceDownSlowly) {
  BurstMeter bursts;
  double burst = 0.010;
  int64_t t = 1'000'000'000;
  for (int i = 0; i < 200; ++i, t += 20'000'000) burst = bursts.onArrival(t, burst);  // 20 ms gaps
  EXPECT_NEAR(burst, 0.020, 1e-9);
  for (int i = 0; i < 900; ++i, t += 5'000'000) burst = bursts.onArrival(t, burst);  // 5 ms gaps
  EXPECT_GT(burst, 0.005);
  EXPECT_LT(burst, 0.020);
  for (int i = 0; i < 3; ++i, t += 60'000'000) burst = bursts.onArrival(t, burst);  // stalls
  EXPECT_LT(burst, 0.020) << "a stall is not a burst";
}

TEST(BurstMeter, ASpikeComesBackNoFasterThanTheRateControllerFollows) {
  BurstMeter bursts;
  double burst = 0.010;
  int64_t t = 1'000'000'000;
  for (int i = 0; i < 400; ++i, t += 10'000'000) burst = bursts.onArrival(t, burst);
  ASSERT_NEAR(burst, 0.010, 1e-9);
  burst = bursts.onArrival(t += 25'000'000, burst);  // one sender hiccup
  for (int i = 0; i < 200; ++i, t += 10'000'000) burst = bursts.onArrival(t, burst);
  ASSERT_NEAR(burst, 0.025, 1e-9);
  double last = burst;
  for (int epoch = 0; epoch < 10; ++epoch) {
    for (int i = 0; i < 200; ++i, t += 10'000'000) burst = bursts.onArrival(t, burst);
    EXPECT_GE(burst, last - 0.0005 - 1e-12) << "epoch " << epoch;
    EXPECT_LT(burst, last);
    last = burst;
  }
}

}  // namespace
}  // namespace scream::receiver
