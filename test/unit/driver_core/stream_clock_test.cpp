#include "driver/core/stream_clock.h"

#include <gtest/gtest.h>

#include <random>

namespace scream::driver {
namespace {

__extension__ typedef unsigned __int128 u128;  // exact reference arithmetic

constexpr uint64_t kQpc = 10'000'000;  // KeQueryPerformanceCounter frequency on Windows 10+
constexpr uint64_t kDay = 24ull * 3600;

// The exact value the formula must equal: floor(d * rate / f) with 128-bit arithmetic.
uint64_t exactFrames(uint64_t d, uint64_t f, uint32_t rate) {
  return static_cast<uint64_t>(u128{d} * rate / f);
}

TEST(StreamClock, FormulaEqualsExactRationalPosition) {
  std::mt19937_64 rng(7);
  for (uint32_t rate : {44100u, 48000u, 96000u, 192000u, 48000u * 127}) {
    for (uint64_t f :
         {kQpc, uint64_t{3'579'545}, uint64_t{1'000'000'000}, uint64_t{3'000'000'000}}) {
      for (int i = 0; i < 2000; ++i) {
        const uint64_t d = rng() % (f * kDay * 2);
        ASSERT_EQ(StreamClock::framesIn(d, f, rate), exactFrames(d, f, rate))
            << "d=" << d << " f=" << f << " rate=" << rate;
      }
    }
  }
}

TEST(StreamClock, NoOverflowOver24HoursAt192kHz) {
  // Every intermediate of framesIn() stays below 2^64 for the longest run we promise (and far
  // beyond): computed in 128 bits, checked against the 64-bit limit.
  const uint32_t rate = 192000;
  const u128 limit = u128{1} << 64;
  const uint64_t d = kQpc * kDay;
  EXPECT_LT(u128{d / kQpc} * rate, limit);
  EXPECT_LT(u128{kQpc - 1} * rate, limit);  // the largest (d % f) * rate can get
  // The result itself: exactly 24 h of frames, no drift at all.
  StreamClock clock;
  clock.configure(kQpc, rate);
  const uint64_t start = 123'456'789'012;  // the counter is not 0 at RUN
  clock.run(start);
  EXPECT_EQ(clock.framesAt(start + d), rate * kDay);
  EXPECT_EQ(clock.framesAt(start + d - 1), exactFrames(d - 1, kQpc, rate));
  // Headroom: even the highest rate the wire carries with a 3 GHz counter, for a year.
  const u128 worst = u128{3'000'000'000ull} * (48000u * 127);
  EXPECT_LT(worst, limit);
  const uint64_t year = 3'000'000'000ull * 365 * kDay;
  EXPECT_EQ(StreamClock::framesIn(year, 3'000'000'000ull, 48000u * 127),
            exactFrames(year, 3'000'000'000ull, 48000u * 127));
}

TEST(StreamClock, WholeSecondsGiveWholeRates) {
  StreamClock clock;
  clock.configure(kQpc, 44100);
  clock.run(0);
  for (uint64_t s = 0; s <= kDay; s += 3607) EXPECT_EQ(clock.framesAt(s * kQpc), s * 44100);
}

TEST(StreamClock, PositionDoesNotDependOnHowOftenItIsRead) {
  // Reading at many jittered instants must give the same position as reading once at the end:
  // no per-read rounding.
  std::mt19937_64 rng(3);
  StreamClock clock;
  clock.configure(kQpc, 44100);
  clock.run(1000);
  uint64_t t = 1000;
  uint64_t last = 0;
  for (int i = 0; i < 100000; ++i) {
    t += 10'000 + rng() % 150'001;  // 1-16 ms
    const uint64_t now = clock.framesAt(t);
    ASSERT_GE(now, last);
    last = now;
  }
  EXPECT_EQ(last, exactFrames(t - 1000, kQpc, 44100));
}

TEST(StreamClock, PauseHoldsAndResumeContinues) {
  StreamClock clock;
  clock.configure(kQpc, 48000);
  clock.run(5 * kQpc);
  EXPECT_EQ(clock.framesAt(6 * kQpc), 48000u);
  clock.pause(6 * kQpc + kQpc / 2);
  EXPECT_FALSE(clock.running());
  EXPECT_EQ(clock.framesAt(100 * kQpc), 72000u) << "held while paused";
  clock.run(200 * kQpc);
  EXPECT_EQ(clock.framesAt(200 * kQpc), 72000u);
  EXPECT_EQ(clock.framesAt(201 * kQpc), 120000u) << "continues from the held position";
  clock.run(202 * kQpc);  // a second RUN while running changes nothing
  EXPECT_EQ(clock.framesAt(203 * kQpc), 72000u + 3 * 48000u);
}

TEST(StreamClock, ResetGoesBackToZeroAndEarlyCountersDoNotGoBack) {
  StreamClock clock;
  clock.configure(kQpc, 48000);
  clock.run(10 * kQpc);
  EXPECT_EQ(clock.framesAt(9 * kQpc), 0u) << "a counter before RUN reads as the RUN position";
  EXPECT_EQ(clock.framesAt(11 * kQpc), 48000u);
  clock.reset();
  EXPECT_FALSE(clock.running());
  EXPECT_EQ(clock.framesAt(12 * kQpc), 0u);
}

TEST(StreamClock, ZeroFrequencyDoesNotDivideByZero) {
  StreamClock clock;
  clock.configure(0, 48000);
  clock.run(0);
  EXPECT_EQ(clock.framesAt(2), 96000u);
}

}  // namespace
}  // namespace scream::driver
