#include "receivers/core/source_filter.h"

#include <gtest/gtest.h>

namespace scream::receiver {
namespace {

using Verdict = SourceFilter::Verdict;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kIdle = 2000 * kMs;
const SourceAddress kA{0xC0A80105, 50000};
const SourceAddress kB{0xC0A80106, 50000};
const SourceAddress kA2{0xC0A80105, 50001};  // same host as kA, another socket

TEST(SourceFilter, FirstSenderTakesTheLock) {
  SourceFilter filter(std::nullopt, kIdle);
  EXPECT_FALSE(filter.locked().has_value());
  EXPECT_EQ(filter.check(kA, 0), Verdict::kAccept);
  EXPECT_EQ(filter.locked(), kA);
  EXPECT_EQ(filter.check(kA, 10 * kMs), Verdict::kAccept);
}

TEST(SourceFilter, OthersAreRejectedWhileTheLockedSenderIsActive) {
  SourceFilter filter(std::nullopt, kIdle);
  filter.check(kA, 0);
  // Interleaved senders: kA keeps sending every 10 ms, so kB never gets in.
  for (int64_t t = 5 * kMs; t < 10'000 * kMs; t += 10 * kMs) {
    ASSERT_EQ(filter.check(kB, t), Verdict::kOtherSource) << t;
    ASSERT_EQ(filter.check(kA, t + 5 * kMs), Verdict::kAccept) << t;
  }
  EXPECT_EQ(filter.check(kA2, 10'000 * kMs), Verdict::kOtherSource);  // port matters
  EXPECT_EQ(filter.locked(), kA);
}

TEST(SourceFilter, SwitchesOnlyAfterTheIdleTimeout) {
  SourceFilter filter(std::nullopt, kIdle);
  filter.check(kA, 1000 * kMs);
  EXPECT_EQ(filter.check(kB, 1000 * kMs + kIdle - 1), Verdict::kOtherSource);
  EXPECT_EQ(filter.locked(), kA);
  EXPECT_EQ(filter.check(kB, 1000 * kMs + kIdle), Verdict::kSwitched);
  EXPECT_EQ(filter.locked(), kB);
  // The new owner is an ordinary locked sender; the old one is now the "other".
  EXPECT_EQ(filter.check(kB, 1000 * kMs + kIdle + 1), Verdict::kAccept);
  EXPECT_EQ(filter.check(kA, 1000 * kMs + kIdle + 2), Verdict::kOtherSource);
}

TEST(SourceFilter, RejectedPacketsDoNotKeepTheLockAlive) {
  SourceFilter filter(std::nullopt, kIdle);
  filter.check(kA, 0);
  EXPECT_EQ(filter.check(kB, kIdle / 2), Verdict::kOtherSource);
  EXPECT_EQ(filter.check(kB, kIdle), Verdict::kSwitched);
}

TEST(SourceFilter, LockedSenderResumingAfterSilenceIsNotASwitch) {
  SourceFilter filter(std::nullopt, kIdle);
  filter.check(kA, 0);
  EXPECT_EQ(filter.check(kA, 10 * kIdle), Verdict::kAccept);
  EXPECT_EQ(filter.check(kB, 10 * kIdle + kMs), Verdict::kOtherSource);
}

TEST(SourceFilter, PinnedAddressIsTheOnlyOneEverAccepted) {
  SourceFilter filter(kB, kIdle);
  EXPECT_EQ(filter.check(kA, 0), Verdict::kOtherSource);
  EXPECT_FALSE(filter.locked().has_value());
  EXPECT_EQ(filter.check(kB, kMs), Verdict::kAccept);
  EXPECT_EQ(filter.check(kA, 100 * kIdle), Verdict::kOtherSource);  // idle does not matter
  EXPECT_EQ(filter.locked(), kB);
}

TEST(SourceFilter, PinnedWithoutPortAcceptsThatHostOnAnyPort) {
  SourceFilter filter(SourceAddress{kA.ipv4, 0}, kIdle);
  EXPECT_EQ(filter.check(kB, 0), Verdict::kOtherSource);
  EXPECT_EQ(filter.check(kA, 0), Verdict::kAccept);
  EXPECT_EQ(filter.locked(), kA);  // the lock holds the exact sender
  // A second socket on the pinned host still cannot interleave, but may take over when idle.
  EXPECT_EQ(filter.check(kA2, kMs), Verdict::kOtherSource);
  EXPECT_EQ(filter.check(kA2, kIdle), Verdict::kSwitched);
  EXPECT_EQ(filter.locked(), kA2);
}

TEST(SourceFilter, ClockGoingBackwardsNeverCausesASwitch) {
  SourceFilter filter(std::nullopt, kIdle);
  filter.check(kA, 5000 * kMs);
  EXPECT_EQ(filter.check(kA, 1000 * kMs), Verdict::kAccept);  // older stamp: lock age unchanged
  EXPECT_EQ(filter.check(kB, 5000 * kMs + kIdle - 1), Verdict::kOtherSource);
  EXPECT_EQ(filter.check(kB, 0), Verdict::kOtherSource);
}

TEST(SourceFilter, ZeroTimeoutLetsTheLatestSenderWin) {
  SourceFilter filter(std::nullopt, 0);
  EXPECT_EQ(filter.check(kA, 0), Verdict::kAccept);
  EXPECT_EQ(filter.check(kB, 0), Verdict::kSwitched);
  EXPECT_EQ(filter.check(kA, 1), Verdict::kSwitched);
}

TEST(SourceFilter, ResetReleasesTheLock) {
  SourceFilter filter(std::nullopt, kIdle);
  filter.check(kA, 0);
  filter.reset();
  EXPECT_FALSE(filter.locked().has_value());
  EXPECT_EQ(filter.check(kB, kMs), Verdict::kAccept);
  EXPECT_EQ(filter.locked(), kB);
}

}  // namespace
}  // namespace scream::receiver
