#include "receivers/core/source_filter.h"

#include <gtest/gtest.h>

#include <vector>

namespace scream::receiver {
namespace {

using Verdict = SourceFilter::Verdict;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kIdle = 2000 * kMs;
const SourceAddress kA{0xC0A80105, 50000};
const SourceAddress kB{0xC0A80106, 50000};
const SourceAddress kA2{0xC0A80105, 50001};  // same host as kA, another socket
constexpr int kConfirm = SourceFilter::kConfirmDatagrams;

// A filter and what it played: each packet carries one byte, its sequence number.
struct Harness {
  explicit Harness(std::optional<SourceAddress> pinned = std::nullopt, int64_t idle = kIdle)
      : filter(pinned, idle) {}

  Verdict send(const SourceAddress& from, int64_t t, uint8_t seq = 0) {
    const uint8_t pcm[4] = {seq, 0, 0, 0};
    protocol::Packet packet;
    packet.format = {48000, 16, 2, 0x3};
    packet.pcm = pcm;
    packet.pcmBytes = sizeof pcm;
    return filter.check(from, packet, t, [&](const protocol::Packet& p, int64_t arrivalNs) {
      played.push_back(p.pcm[0]);
      playedAt.push_back(arrivalNs);
    });
  }
  // A sender's first datagrams, 5 ms apart from t: the last one takes the lock.
  Verdict confirm(const SourceAddress& from, int64_t t) {
    for (int i = 0; i + 1 < kConfirm; ++i) {
      EXPECT_EQ(send(from, t + i * 5 * kMs), Verdict::kPending);
    }
    return send(from, t + (kConfirm - 1) * 5 * kMs);
  }

  SourceFilter filter;
  std::vector<int> played;
  std::vector<int64_t> playedAt;
};

TEST(SourceFilter, ASenderTakesTheLockAfterAFewValidDatagramsAndLosesNone) {
  Harness h;
  EXPECT_FALSE(h.filter.locked().has_value());
  for (uint8_t i = 1; i < kConfirm; ++i) {
    EXPECT_EQ(h.send(kA, i * kMs, i), Verdict::kPending);
    EXPECT_FALSE(h.filter.locked().has_value());
  }
  EXPECT_EQ(h.send(kA, kConfirm * kMs, kConfirm), Verdict::kLocked);
  EXPECT_EQ(h.filter.locked(), kA);
  EXPECT_EQ(h.send(kA, 10 * kMs, 9), Verdict::kAccept);
  // The held datagrams come out first, in order, with their own arrival times.
  EXPECT_EQ(h.played, (std::vector<int>{1, 2, 3, 9}));
  EXPECT_EQ(h.playedAt, (std::vector<int64_t>{1 * kMs, 2 * kMs, 3 * kMs, 10 * kMs}));
}

TEST(SourceFilter, OneStrayDatagramNeverTakesTheLock) {
  Harness h;
  EXPECT_EQ(h.send(kB, 0), Verdict::kPending);
  EXPECT_EQ(h.confirm(kA, kMs), Verdict::kLocked);
  EXPECT_EQ(h.filter.locked(), kA);
  EXPECT_EQ(h.played.size(), static_cast<size_t>(kConfirm));  // kB's datagram was never played
}

TEST(SourceFilter, AStreakSlowerThanTheWindowStartsAgain) {
  Harness h;
  const int64_t gap = SourceFilter::kConfirmWindowNs;  // 3 datagrams take 2 gaps: too slow
  EXPECT_EQ(h.send(kA, 0, 1), Verdict::kPending);
  EXPECT_EQ(h.send(kA, gap, 2), Verdict::kPending);
  EXPECT_EQ(h.send(kA, 2 * gap, 3), Verdict::kPending);
  EXPECT_FALSE(h.filter.locked().has_value());
  EXPECT_EQ(h.send(kA, 2 * gap + kMs, 4), Verdict::kPending);
  EXPECT_EQ(h.send(kA, 2 * gap + 2 * kMs, 5), Verdict::kLocked);
  // The streak that took too long is dropped; the one that confirmed plays whole.
  EXPECT_EQ(h.played, (std::vector<int>{3, 4, 5}));
}

TEST(SourceFilter, InterleavedCandidatesDoNotBlockEachOther) {
  Harness h;
  for (int i = 0; i + 1 < kConfirm; ++i) {
    EXPECT_EQ(h.send(kB, i * 10 * kMs, 20), Verdict::kPending);
    EXPECT_EQ(h.send(kA, i * 10 * kMs + kMs, 10), Verdict::kPending);
  }
  EXPECT_EQ(h.send(kA, 50 * kMs, 10), Verdict::kLocked);
  EXPECT_EQ(h.send(kB, 51 * kMs, 20), Verdict::kOtherSource);
  EXPECT_EQ(h.played, std::vector<int>(kConfirm, 10));
}

TEST(SourceFilter, OthersAreRejectedWhileTheLockedSenderIsActive) {
  Harness h;
  h.confirm(kA, 0);
  // Interleaved senders: kA keeps sending every 10 ms, so kB never gets in.
  for (int64_t t = 15 * kMs; t < 10'000 * kMs; t += 10 * kMs) {
    ASSERT_EQ(h.send(kB, t), Verdict::kOtherSource) << t;
    ASSERT_EQ(h.send(kA, t + 5 * kMs), Verdict::kAccept) << t;
  }
  EXPECT_EQ(h.send(kA2, 10'000 * kMs), Verdict::kOtherSource);  // port matters
  EXPECT_EQ(h.filter.locked(), kA);
}

TEST(SourceFilter, SwitchesOnlyAfterTheIdleTimeoutAndAFewDatagrams) {
  Harness h;
  h.confirm(kA, 1000 * kMs);
  const int64_t last = 1000 * kMs + (kConfirm - 1) * 5 * kMs;
  EXPECT_EQ(h.send(kB, last + kIdle - 1), Verdict::kOtherSource);
  EXPECT_EQ(h.filter.locked(), kA);
  EXPECT_EQ(h.confirm(kB, last + kIdle), Verdict::kSwitched);
  EXPECT_EQ(h.filter.locked(), kB);
  // The new owner is an ordinary locked sender; the old one is now the "other".
  EXPECT_EQ(h.send(kB, last + kIdle + 20 * kMs), Verdict::kAccept);
  EXPECT_EQ(h.send(kA, last + kIdle + 21 * kMs), Verdict::kOtherSource);
}

TEST(SourceFilter, TheLockedSenderResumingWhileAnotherConfirmsKeepsTheLock) {
  Harness h;
  h.confirm(kA, 0);
  EXPECT_EQ(h.send(kB, kIdle + 10 * kMs), Verdict::kPending);
  EXPECT_EQ(h.send(kA, kIdle + 11 * kMs), Verdict::kAccept);
  EXPECT_EQ(h.send(kB, kIdle + 12 * kMs), Verdict::kOtherSource);
  EXPECT_EQ(h.filter.locked(), kA);
}

TEST(SourceFilter, RejectedPacketsDoNotKeepTheLockAlive) {
  Harness h;
  h.confirm(kA, 0);
  const int64_t last = (kConfirm - 1) * 5 * kMs;
  EXPECT_EQ(h.send(kB, last + kIdle / 2), Verdict::kOtherSource);
  EXPECT_EQ(h.confirm(kB, last + kIdle), Verdict::kSwitched);
}

TEST(SourceFilter, LockedSenderResumingAfterSilenceIsNotASwitch) {
  Harness h;
  h.confirm(kA, 0);
  EXPECT_EQ(h.send(kA, 10 * kIdle), Verdict::kAccept);
  EXPECT_EQ(h.send(kB, 10 * kIdle + kMs), Verdict::kOtherSource);
}

TEST(SourceFilter, PinnedAddressIsTheOnlyOneEverAccepted) {
  Harness h(kB);
  for (int i = 0; i < 2 * kConfirm; ++i) EXPECT_EQ(h.send(kA, i * kMs), Verdict::kOtherSource);
  EXPECT_FALSE(h.filter.locked().has_value());
  EXPECT_EQ(h.confirm(kB, 10 * kMs), Verdict::kLocked);
  EXPECT_EQ(h.send(kA, 100 * kIdle), Verdict::kOtherSource);  // idle does not matter
  EXPECT_EQ(h.filter.locked(), kB);
}

TEST(SourceFilter, PinnedWithoutPortAcceptsThatHostOnAnyPort) {
  Harness h(SourceAddress{kA.ipv4, 0});
  EXPECT_EQ(h.send(kB, 0), Verdict::kOtherSource);
  EXPECT_EQ(h.confirm(kA, 0), Verdict::kLocked);
  EXPECT_EQ(h.filter.locked(), kA);  // the lock holds the exact sender
  // A second socket on the pinned host still cannot interleave, but may take over when idle.
  EXPECT_EQ(h.send(kA2, 20 * kMs), Verdict::kOtherSource);
  EXPECT_EQ(h.confirm(kA2, kIdle + 20 * kMs), Verdict::kSwitched);
  EXPECT_EQ(h.filter.locked(), kA2);
}

TEST(SourceFilter, ClockGoingBackwardsNeverCausesASwitch) {
  Harness h;
  h.confirm(kA, 5000 * kMs);
  EXPECT_EQ(h.send(kA, 1000 * kMs), Verdict::kAccept);  // older stamp: lock age unchanged
  EXPECT_EQ(h.send(kB, 5010 * kMs + kIdle - 1), Verdict::kOtherSource);
  EXPECT_EQ(h.send(kB, 0), Verdict::kOtherSource);
}

TEST(SourceFilter, ZeroTimeoutLetsTheLatestConfirmedSenderWin) {
  Harness h(std::nullopt, 0);
  EXPECT_EQ(h.confirm(kA, 0), Verdict::kLocked);
  EXPECT_EQ(h.confirm(kB, 100 * kMs), Verdict::kSwitched);
  EXPECT_EQ(h.confirm(kA, 200 * kMs), Verdict::kSwitched);
}

TEST(SourceFilter, ResetReleasesTheLockAndTheCandidates) {
  Harness h;
  h.confirm(kA, 0);
  EXPECT_EQ(h.send(kB, 20 * kMs), Verdict::kOtherSource);
  h.filter.reset();
  EXPECT_FALSE(h.filter.locked().has_value());
  EXPECT_EQ(h.confirm(kB, 30 * kMs), Verdict::kLocked);
  EXPECT_EQ(h.filter.locked(), kB);
}

// More senders confirming at once than there are candidate slots: the one heard from least
// recently gives way, and a steady sender still gets through.
TEST(SourceFilter, ManyOneShotSendersCannotKeepARealSenderOut) {
  Harness h;
  uint8_t seq = 0;
  for (int i = 0; i < 100; ++i) {
    const SourceAddress stray{0x0A000000u + static_cast<uint32_t>(i), 4000};
    EXPECT_EQ(h.send(stray, i * kMs, 99), Verdict::kPending);
    const Verdict v = h.send(kA, i * kMs + 1, seq++);
    if (v != Verdict::kPending) {
      EXPECT_EQ(v, Verdict::kLocked);
      break;
    }
  }
  EXPECT_EQ(h.filter.locked(), kA);
  EXPECT_EQ(h.played, (std::vector<int>{0, 1, 2}));
}

}  // namespace
}  // namespace scream::receiver
