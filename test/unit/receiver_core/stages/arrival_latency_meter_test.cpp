// The latency meter on synthetic packets: a steady stream reads its true wait, lateness is taken
// out, a timeline shift after the fact is taken back out, silence starts it over; the lateness
// meter follows how late datagrams come, up at once and down slowly, without stalls or losses.
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

// One datagram every 6 ms (a 48 kHz/16 bit/stereo payload) from t, `late` seconds late each.
struct Arrivals {
  LatenessMeter meter;
  int64_t t = 1'000'000'000;
  double figure = 0;
  template <typename Late>
  void run(int datagrams, Late late, bool judging = false, double declared = 0) {
    for (int i = 0; i < datagrams; ++i, t += 6'000'000) figure = meter.onDatagram(t, late(i), judging, declared);
  }
};

TEST(LatenessMeter, UpAtOnceDownSlowly) {
  Arrivals a;
  a.run(400, [](int i) { return 0.001 * (i % 6); });  // 0-5 ms
  EXPECT_NEAR(a.figure, 0.005, 1e-9) << "the latest of the first period, then held";
  a.run(400, [](int i) { return 0.001 * (i % 21); });  // jitter 0-20 ms
  EXPECT_GE(a.figure, 0.018) << "up at once (in 2 ms steps: smaller rises are followed slowly)";
  EXPECT_LE(a.figure, 0.020);
  a.run(3000, [](int i) { return 0.001 * (i % 6); });  // 18 s of 0-5 ms
  EXPECT_LT(a.figure, 0.020 - 0.003);
  EXPECT_GT(a.figure, 0.005) << "down slowly";
}

TEST(LatenessMeter, AStallIsNotLateness) {
  Arrivals a;
  a.run(400, [](int i) { return 0.001 * (i % 6); });
  for (int stall = 0; stall < 5; ++stall) {
    // The sender and the network held up 40 ms, every 10 s: 6 datagrams come at once, 40..10 ms
    // late.
    a.run(6, [](int i) { return 0.040 - 0.006 * i; });
    a.run(1660, [](int i) { return 0.001 * (i % 6); });
    EXPECT_NEAR(a.figure, 0.005, 1e-9) << "an underrun answers a stall, not the target";
  }
}

// A stall longer than kMaxSeconds: the datagrams held up come at once, 300..0 ms late. Counted,
// the 8th latest (258 ms) would have held the target near 220 ms for minutes; it is an
// underrun's business.
TEST(LatenessMeter, ALongStallIsNotCounted) {
  Arrivals a;
  a.run(400, [](int i) { return 0.001 * (i % 6); });
  a.run(50, [](int i) { return 0.300 - 0.006 * i; });
  a.run(400, [](int i) { return 0.001 * (i % 6); });
  EXPECT_LE(a.figure, LatenessMeter::kMaxSeconds);
  a.run(334 * 20, [](int i) { return 0.001 * (i % 6); });
  EXPECT_LT(a.figure, 0.010) << "and whatever of it counted is gone within a minute";
}

// The rank is ~48 ms of datagrams: at 96 kHz/24 bit/stereo (2 ms datagrams) 24 of them, so a
// 30 ms stall (15 datagrams late) is still not lateness.
TEST(LatenessMeter, TheRankIsATimeSpan) {
  EXPECT_EQ(LatenessMeter(0.006).rank(), 8u);
  EXPECT_EQ(LatenessMeter(0.002).rank(), 24u);
  EXPECT_EQ(LatenessMeter(0.0002).rank(), LatenessMeter::kMaxRank);
  Arrivals a{LatenessMeter(0.002)};
  a.run(2000, [](int i) { return 0.001 * (i % 3); });
  a.run(15, [](int i) { return 0.030 - 0.002 * i; });
  a.run(2000, [](int i) { return 0.001 * (i % 3); });
  EXPECT_NEAR(a.figure, 0.002, 1e-9);
}

// Bursts of jitter every second or so: the rank reads what most of a burst's datagrams did, but
// the ring must bridge the latest of them, which recur.
TEST(LatenessMeter, TheLatestCountWhenTheyRecur) {
  Arrivals a;
  a.run(400, [](int i) { return 0.001 * (i % 6); });
  for (int burst = 0; burst < 10; ++burst) {
    a.run(50, [](int i) { return i % 10 == 9 ? 0.045 : 0.030 + 0.0002 * i; });  // 5 datagrams 45 ms late
    a.run(150, [](int i) { return 0.001 * (i % 6); });
  }
  EXPECT_GE(a.figure, 0.045 - 0.002);
  EXPECT_LE(a.figure, 0.045);
}

TEST(LatenessMeter, ALossBeingJudgedIsNotLateness) {
  Arrivals a;
  a.run(400, [](int i) { return 0.001 * (i % 6); });
  for (int loss = 0; loss < 5; ++loss) {
    // A datagram lost: every datagram reads 6 ms later until the loss is declared (50 of them).
    a.run(50, [](int i) { return 0.006 + 0.001 * (i % 6); }, true);
    a.run(1, [](int) { return 0.0; }, false, 0.006);
    a.run(300, [](int i) { return 0.001 * (i % 6); });
  }
  // Not 12 ms (held-aside lateness counted as it read, 6 + 6): the ring bridging a loss (below).
  EXPECT_NEAR(a.figure, 0.005 + 0.006, 1e-9);
  // Judged lateness after all (nothing declared): it counts.
  a.run(50, [](int i) { return 0.015 + 0.001 * (i % 6); }, true);
  a.run(1, [](int) { return 0.0; });
  EXPECT_NEAR(a.figure, 0.020 + 0.006, 1e-9);
}

// The ring must bridge a loss until the datagram after it shows it: one loss is enough (no
// rank), and it is forgotten as slowly as lateness.
TEST(LatenessMeter, TheRingBridgesALossOnceOneWasSeen) {
  Arrivals a;
  a.run(400, [](int i) { return 0.001 * (i % 6); });
  ASSERT_NEAR(a.figure, 0.005, 1e-9);
  a.run(1, [](int) { return 0.002; }, false, 0.006);  // one datagram lost right before this one
  EXPECT_NEAR(a.figure, 0.011, 1e-9);
  a.run(334 * 4, [](int i) { return 0.001 * (i % 6); });
  EXPECT_LT(a.figure, 0.011);
  EXPECT_GT(a.figure, 0.009);
  a.run(30, [](int) { return 0.0; }, false, 0.030);  // five lost at once, many times
  EXPECT_NEAR(a.figure, 0.005 + LatenessMeter::kMaxLossSeconds, 1e-9) << "a longer gap is left to underruns";
}

TEST(LatenessMeter, ASpikeComesBackNoFasterThanTheRateControllerFollows) {
  Arrivals a;
  a.run(400, [](int i) { return 0.001 * (i % 6); });
  a.run(20, [](int) { return 0.025; });  // a burst of jitter
  a.run(334, [](int i) { return 0.001 * (i % 6); });  // (the rest of its period)
  ASSERT_NEAR(a.figure, 0.025, 1e-9);
  double last = a.figure;
  for (int period = 0; period < 10; ++period) {
    a.run(334, [](int i) { return 0.001 * (i % 6); });
    EXPECT_GE(a.figure, last - 0.0005 - 1e-12) << "period " << period;
    EXPECT_LT(a.figure, last);
    last = a.figure;
  }
}

}  // namespace
}  // namespace scream::receiver
