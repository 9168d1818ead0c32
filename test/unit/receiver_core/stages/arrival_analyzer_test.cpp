// ArrivalAnalyzer on synthetic arrivals: a sender whose 10 ms timer sends every whole datagram
// it has (48 kHz, 16 bit, stereo: 6 ms datagrams), over a network with optional jitter.
#include "receivers/core/arrival_analyzer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace scream::receiver {
namespace {

struct Arrival {
  int64_t ns;
  uint32_t index;  // which datagram of the stream
};

// The datagrams a 10 ms-timer sender emits over `seconds`, and when each arrives.
std::vector<Arrival> sendStream(double seconds, double jitterMs = 0, unsigned seed = 1,
                                int64_t tickNs = 10'000'000) {
  std::vector<Arrival> out;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(0, jitterMs * 1e6);
  const double datagramSeconds = 1152.0 / (48000 * 4);
  uint32_t sent = 0;
  int64_t last = 0;
  for (int64_t tick = tickNs; tick < seconds * 1e9; tick += tickNs) {
    const auto whole = static_cast<uint32_t>(static_cast<double>(tick) * 1e-9 / datagramSeconds);
    const int64_t at = std::max(last, tick + 100'000 + static_cast<int64_t>(jitter(rng)));
    for (; sent < whole; ++sent) out.push_back({at, sent});
    last = at;
  }
  return out;
}

class Analyzer {
 public:
  explicit Analyzer(bool identicalContent = false) : identical_(identicalContent) {
    analyzer.reset({48000, 16, 2, 0x3});
  }
  // Datagrams that carry a tone (by default the benchmark's probe, 997 Hz at -6 dBFS on channel
  // 0), where they belong in it: the audio itself shows whether one is missing.
  static Analyzer withTone(double hz = 997) {
    Analyzer a;
    a.toneHz_ = hz;
    return a;
  }
  ArrivalAnalyzer::Verdict feed(const Arrival& a) {
    uint8_t pcm[1152];
    std::memset(pcm, 0, sizeof pcm);
    if (toneHz_ > 0) {
      for (size_t f = 0; f < 288; ++f) {
        const double x = 0.5 * std::sin(2 * M_PI * toneHz_ * static_cast<double>(a.index * 288ull + f) / 48000);
        const auto v = static_cast<int16_t>(std::lround(x * 32767));
        std::memcpy(pcm + f * 4, &v, sizeof v);
      }
    } else if (!identical_) {
      std::memcpy(pcm, &a.index, sizeof a.index);
    }
    const auto v = analyzer.onDatagram(a.ns, pcm, sizeof pcm);
    shift += v.shiftBytes;
    dropped += v.duplicate;
    provisional += v.provisional;
    takenBack += v.previousWasRepeat;
    return v;
  }
  ArrivalAnalyzer analyzer;
  int64_t shift = 0;
  int dropped = 0;
  int provisional = 0;  // played for now, off the line
  int takenBack = 0;    // of those, repeats after all

 private:
  bool identical_;
  double toneHz_ = 0;  // 0: the datagram's index as its content
};

TEST(ArrivalAnalyzer, ACleanStreamHasNothingToReport) {
  Analyzer a;
  for (const Arrival& x : sendStream(30)) a.feed(x);
  EXPECT_EQ(a.shift, 0);
  EXPECT_EQ(a.dropped, 0);
  EXPECT_TRUE(a.analyzer.detecting());
}

TEST(ArrivalAnalyzer, ALostDatagramIsDeclaredSoonAfter) {
  for (uint32_t lost : {1000u, 1001u, 1333u, 2500u}) {
    Analyzer a;
    int64_t declaredAt = 0;
    for (const Arrival& x : sendStream(20)) {
      if (x.index == lost) continue;
      if (a.feed(x).shiftBytes != 0 && declaredAt == 0) declaredAt = x.ns;
    }
    EXPECT_EQ(a.shift, 1152) << lost;
    const double lostAt = lost * 0.006;
    EXPECT_GT(declaredAt * 1e-9, lostAt) << lost;
    EXPECT_LT(declaredAt * 1e-9, lostAt + 0.25) << "within 250 ms of the gap";
  }
}

// A sender that paces each datagram (a 5 ms timer, 6 ms datagrams): the residuals stay within
// less than a datagram, so the datagram after a loss shows it at once, where it happened.
TEST(ArrivalAnalyzer, APacedSendersLossIsDeclaredAtTheDatagramAfterIt) {
  for (uint32_t lost : {1000u, 1001u, 1333u, 2500u, 2501u, 2502u}) {
    Analyzer a;
    for (const Arrival& x : sendStream(20, 0, 1, 5'000'000)) {
      if (x.index == lost || (lost == 2502 && x.index == 2503)) continue;
      const auto v = a.feed(x);
      if (v.shiftBytes != 0) {
        EXPECT_TRUE(v.gapBeforeThis) << lost;
        EXPECT_EQ(x.index, lost == 2502 ? lost + 2 : lost + 1);
      }
    }
    EXPECT_EQ(a.shift, lost == 2502 ? 2304 : 1152) << lost;
  }
}

// The same sender waking up late once: one datagram late is taken for a loss, and taken back by
// the very next datagram.
TEST(ArrivalAnalyzer, APacedSendersLateDatagramIsTakenBackAtOnce) {
  Analyzer a;
  int declared = 0, takenBack = 0;
  uint32_t declaredAt = 0;
  for (Arrival x : sendStream(20, 0, 1, 5'000'000)) {
    if (x.index == 1500) x.ns += 4'500'000;  // (still before the next one, on time)
    const auto v = a.feed(x);
    if (v.gapBeforeThis) {
      ++declared;
      declaredAt = x.index;
    }
    if (v.gapTakenBack) {
      ++takenBack;
      EXPECT_EQ(x.index, declaredAt + 1);
    }
  }
  EXPECT_EQ(declared, 1);
  EXPECT_EQ(takenBack, 1);
  EXPECT_EQ(a.shift, 0);
  EXPECT_EQ(a.analyzer.lostDatagrams(), 0u);
}

// Counts what a stream's verdicts declared and took back.
struct Declarations {
  int declared = 0, chained = 0, takenBack = 0;
  void count(const ArrivalAnalyzer::Verdict& v) {
    declared += v.gapBeforeThis;
    chained += v.chained;
    takenBack += v.gapsTakenBack;
  }
};

// Two losses a few datagrams apart: the second joins the first while it is still watched, and
// both are concealed where they were.
TEST(ArrivalAnalyzer, APacedSendersTwoLossesCloseTogetherAreBothDeclaredInPlace) {
  for (uint32_t gap : {2u, 3u, 6u}) {
    Analyzer a;
    Declarations d;
    for (const Arrival& x : sendStream(20, 0, 1, 5'000'000)) {
      if (x.index == 1500 || x.index == 1500 + gap) continue;
      d.count(a.feed(x));
    }
    EXPECT_EQ(d.declared, 2) << gap;
    EXPECT_EQ(d.chained, 1) << gap;
    EXPECT_EQ(d.takenBack, 0) << gap;
    EXPECT_EQ(a.shift, 2 * 1152) << gap;
  }
}

// A loss, then the sender late once while it is watched: the late one is taken back, the loss
// stays.
TEST(ArrivalAnalyzer, ALateDatagramAfterALossTakesBackOnlyItself) {
  Analyzer a;
  Declarations d;
  for (Arrival x : sendStream(20, 0, 1, 5'000'000)) {
    if (x.index == 1500) continue;
    if (x.index == 1503) x.ns += 4'500'000;
    d.count(a.feed(x));
  }
  EXPECT_EQ(d.declared, 2);
  EXPECT_EQ(d.takenBack, 1);
  EXPECT_EQ(a.shift, 1152);
  EXPECT_EQ(a.analyzer.lostDatagrams(), 1u);
}

// The sender (or the path) held up for a while, each datagram later than the one before, then
// the backlog at once (as captured from a benchmark run on a loaded machine): every declaration
// made on the way is taken back; before, the first ones stood (false gaps of 6-12 ms, glitches).
TEST(ArrivalAnalyzer, AStreamHeldUpGraduallyLosesNothing) {
  const std::vector<std::vector<int>> delaysMs = {
      {4, 4, 7, 9, 9, 11, 6},        // getting later by a few ms each
      {8, 31, 25, 19, 13, 7, 2},     // a 30 ms stall after a late one
      {6, 12, 18, 24, 30, 36, 31, 25, 19, 13, 7, 1},  // longer than the chain holds
  };
  for (size_t c = 0; c < delaysMs.size(); ++c) {
    Analyzer a;
    Declarations d;
    int64_t last = 0;
    for (Arrival x : sendStream(20, 0, 1, 5'000'000)) {
      const uint32_t i = x.index - 1500;
      if (x.index >= 1500 && i < delaysMs[c].size()) x.ns += delaysMs[c][i] * 1'000'000;
      x.ns = std::max(x.ns, last);
      last = x.ns;
      d.count(a.feed(x));
    }
    EXPECT_GE(d.declared, 1) << c << ": the case must look like loss at first";
    EXPECT_EQ(a.shift, 0) << c;
    EXPECT_EQ(a.analyzer.lostDatagrams(), 0u) << c;
  }
}

// The same held-up streams, and a late datagram whose next one is late too (the sender waking
// late twice, as captured in a 300 s loopback soak), carrying a tone: the audio goes on
// seamlessly across each late datagram, so nothing is declared at all (before, 57 declarations
// in that soak, all taken back, 5 only after their concealment had played).
TEST(ArrivalAnalyzer, ALateDatagramOfAToneThatGoesOnIsNeverDeclaredLost) {
  const std::vector<std::vector<int>> delaysMs = {
      {4, 4, 7, 9, 9, 11, 6}, {8, 31, 25, 19, 13, 7, 2}, {6, 12, 18, 24, 30, 36, 31, 25, 19, 13, 7, 1},
      {7, 5}, {8, 6}, {5}, {6}};
  for (size_t c = 0; c < delaysMs.size(); ++c) {
    for (int64_t tickNs : {5'000'000, 10'000'000}) {
      Analyzer a = Analyzer::withTone();
      Declarations d;
      int64_t last = 0;
      for (Arrival x : sendStream(20, 0, 1, tickNs)) {
        const uint32_t i = x.index - 1500;
        if (x.index >= 1500 && i < delaysMs[c].size()) x.ns += delaysMs[c][i] * 1'000'000;
        x.ns = std::max(x.ns, last);
        last = x.ns;
        d.count(a.feed(x));
      }
      EXPECT_EQ(d.declared, 0) << c << ", tick " << tickNs;
      EXPECT_EQ(a.shift, 0) << c << ", tick " << tickNs;
    }
  }
}

// ... while a datagram missing from the tone breaks it: declared at once, where it was lost.
TEST(ArrivalAnalyzer, ADatagramMissingFromAToneIsStillDeclaredAtOnce) {
  for (uint32_t lost : {1000u, 1001u, 1333u, 2500u}) {
    Analyzer a = Analyzer::withTone();
    Declarations d;
    for (const Arrival& x : sendStream(20, 0, 1, 5'000'000)) {
      if (x.index == lost) continue;
      const auto v = a.feed(x);
      d.count(v);
      if (v.gapBeforeThis) {
        EXPECT_EQ(x.index, lost + 1);
      }
    }
    EXPECT_EQ(d.declared, 1) << lost;
    EXPECT_EQ(d.takenBack, 0) << lost;
    EXPECT_EQ(a.shift, 1152) << lost;
  }
}

// Bursts of 50 datagrams each 0-40 ms late (order kept: a late one holds up those after it), as
// the benchmark's jitter-bursty scenario: the stream sits datagrams above the floor for longer
// than the slow path's confirm time. Timing alone took such plateaus for losses (9 in 30 s in
// the engine simulation, each concealed, then cut); the tone goes on seamlessly through them.
// A datagram really lost between the bursts is still found.
std::vector<Arrival> withJitterBursts(std::vector<Arrival> stream, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> late(0, 40e6);
  int64_t last = 0;
  for (Arrival& x : stream) {
    for (uint32_t start : {800u, 1700u, 2600u, 3500u}) {
      if (x.index >= start && x.index < start + 50) x.ns += static_cast<int64_t>(late(rng));
    }
    x.ns = std::max(x.ns, last);
    last = x.ns;
  }
  return stream;
}

TEST(ArrivalAnalyzer, BurstsOfJitterInAToneAreNotLoss) {
  for (int64_t tickNs : {5'000'000, 10'000'000}) {
    for (unsigned seed : {1u, 2u, 3u}) {
      for (uint32_t lost : {0u, 1300u}) {
        Analyzer a = Analyzer::withTone();
        for (const Arrival& x : withJitterBursts(sendStream(25, 0, 1, tickNs), seed)) {
          if (lost == 0 || x.index != lost) a.feed(x);
        }
        EXPECT_EQ(a.shift, lost == 0 ? 0 : 1152) << "tick " << tickNs << ", seed " << seed << ", lost " << lost;
      }
    }
  }
}

// A tone periodic in a datagram's length (1 kHz) loses one in the first 2 s: the audio cannot
// show it, and there is no slow path yet: the timing alone declares it, or the loss would sink
// into the floor and leave the timeline off. (Later, byte-identical datagrams go to the
// duplicate judgement and such a loss is not found at all: inaudible, but the timeline stays a
// datagram off; an open point of issue 16.)
TEST(ArrivalAnalyzer, ALossTheAudioCannotShowIsFoundByTimingBeforeTheSlowPathRuns) {
  Analyzer a = Analyzer::withTone(1000);
  for (const Arrival& x : sendStream(20, 0, 1, 5'000'000)) {
    if (x.index != 250) a.feed(x);  // at 1.5 s
  }
  EXPECT_EQ(a.shift, 1152);
}

// The 10 ms-timer sender (one or two datagrams a burst, residuals spread wider than a datagram):
// a loss shows when the burst after it ends. Which boundary of that burst it lies at, the audio
// tells (a tone that does not line up with a datagram: where one is missing, the waveform jumps).
TEST(ArrivalAnalyzer, ABurstySendersLossIsPlacedWhereTheAudioJumps) {
  for (uint32_t lost : {1000u, 1001u, 1002u, 1333u, 2501u}) {
    ArrivalAnalyzer analyzer;
    analyzer.reset({48000, 16, 2, 0x3});
    std::vector<uint32_t> placed;  // datagram indices in arrival order
    int declared = 0;
    for (const Arrival& x : sendStream(20)) {
      if (x.index == lost) continue;
      int16_t pcm[576];
      for (int f = 0; f < 288; ++f) {
        const double t = (x.index * 288.0 + f) / 48000.0;
        pcm[2 * f] = pcm[2 * f + 1] = static_cast<int16_t>(16000 * std::sin(2 * M_PI * 440 * t));
      }
      placed.push_back(x.index);
      const auto v = analyzer.onDatagram(x.ns, reinterpret_cast<const uint8_t*>(pcm), sizeof pcm);
      if (!v.gapBeforeThis) continue;
      ++declared;
      const uint32_t after = placed[placed.size() - 1 - static_cast<size_t>(v.gapDatagramsBack)];
      EXPECT_EQ(after, lost + 1) << lost << ": the gap goes before the datagram after the loss";
      EXPECT_LE(x.index, lost + 4) << lost << ": within a burst or two";
    }
    EXPECT_EQ(declared, 1) << lost;
    EXPECT_EQ(analyzer.lostDatagrams(), 1u) << lost;
  }
}

// A real loss, then the stream held up longer than the chain holds: everything declared on the
// way is taken back, but the loss among it is still found (by the slow path: the floor it is
// judged against stays where it was before the event). Found by a review: it was lost for good.
TEST(ArrivalAnalyzer, ALossBeforeAHoldUpIsStillFound) {
  const std::vector<int> delaysMs = {6, 12, 18, 24, 30, 36, 31, 25, 19, 13, 7, 1};
  for (uint32_t heldFrom : {1502u, 1503u, 1510u}) {
    Analyzer a;
    int64_t last = 0;
    for (Arrival x : sendStream(20, 0, 1, 5'000'000)) {
      if (x.index == 1500) continue;
      const uint32_t i = x.index - heldFrom;
      if (x.index >= heldFrom && i < delaysMs.size()) x.ns += delaysMs[i] * 1'000'000;
      x.ns = std::max(x.ns, last);
      last = x.ns;
      a.feed(x);
    }
    EXPECT_EQ(a.analyzer.lostDatagrams(), 1u) << heldFrom;
    EXPECT_EQ(a.shift, 1152) << heldFrom;
  }
}

TEST(ArrivalAnalyzer, FiveLostInARowAreFiveDatagrams) {
  Analyzer a;
  for (const Arrival& x : sendStream(20)) {
    if (x.index >= 1500 && x.index < 1505) continue;
    a.feed(x);
  }
  EXPECT_EQ(a.shift, 5 * 1152);
  EXPECT_EQ(a.analyzer.lostDatagrams(), 5u);
}

// A signal that does not repeat itself at a datagram's length never sends the same bytes twice
// in a row: a repeat is known by the datagram after it, however late its original came in its
// burst, and never moves the line.
TEST(ArrivalAnalyzer, ARepeatOfAnAperiodicSignalIsKnownByTheNextDatagram) {
  Analyzer a;
  int repeats = 0;
  for (const Arrival& x : sendStream(30)) {
    a.feed(x);
    if (x.index % 200 == 100) {
      a.feed({x.ns + 50'000, x.index});  // the same datagram again, right behind
      ++repeats;
    }
  }
  EXPECT_EQ(a.dropped, 0);
  EXPECT_EQ(a.provisional, repeats);
  EXPECT_EQ(a.takenBack, repeats);
  EXPECT_EQ(a.shift, 0);
  EXPECT_EQ(a.analyzer.duplicates(), static_cast<uint64_t>(repeats));
  EXPECT_EQ(a.analyzer.lostDatagrams(), 0u);
}

// A signal that turns periodic (digital silence after sound) sends the same bytes again and again:
// the first repeat is provisional, the next shows it was real.
TEST(ArrivalAnalyzer, ASignalThatTurnsPeriodicLosesNothing) {
  ArrivalAnalyzer analyzer;
  analyzer.reset({48000, 16, 2, 0x3});
  int provisional = 0, takenBack = 0;
  int64_t shift = 0;
  for (const Arrival& x : sendStream(20)) {
    uint8_t pcm[1152] = {};
    if (x.index < 1000) std::memcpy(pcm, &x.index, sizeof x.index);  // then digital silence
    const auto v = analyzer.onDatagram(x.ns, pcm, sizeof pcm);
    provisional += v.provisional;
    takenBack += v.previousWasRepeat;
    shift += v.shiftBytes;
  }
  EXPECT_EQ(provisional, 1);
  EXPECT_EQ(takenBack, 0);
  EXPECT_EQ(shift, 0);
  EXPECT_EQ(analyzer.duplicates(), 0u);
  EXPECT_EQ(analyzer.lostDatagrams(), 0u);
}

// In a signal that repeats every datagram (digital silence, a tone of the datagram's period)
// the bytes prove nothing; time does.
// A provisional datagram settled by one that is dropped (the same bytes a third time, provably
// early): the verdict of the dropped one still says the provisional one was real.
TEST(ArrivalAnalyzer, ASettlingDatagramThatIsDroppedStillSettles) {
  ArrivalAnalyzer analyzer;
  analyzer.reset({48000, 16, 2, 0x3});
  bool settled = false;
  for (const Arrival& x : sendStream(10)) {
    uint8_t pcm[1152] = {};
    std::memcpy(pcm, &x.index, sizeof x.index);
    const auto v = analyzer.onDatagram(x.ns, pcm, sizeof pcm);
    if (x.index != 1000) continue;
    EXPECT_TRUE(analyzer.onDatagram(x.ns + 10'000, pcm, sizeof pcm).provisional);
    const auto third = analyzer.onDatagram(x.ns + 20'000, pcm, sizeof pcm);
    EXPECT_TRUE(third.previousWasReal);
    settled = third.previousWasReal;
    (void)v;
  }
  EXPECT_TRUE(settled);
}

TEST(ArrivalAnalyzer, InARepeatingSignalAnEarlyRepeatIsDroppedALateOneTakenBack) {
  Analyzer a(/*identicalContent=*/true);
  int repeats = 0;
  for (const Arrival& x : sendStream(30)) {
    a.feed(x);
    if (x.index % 200 == 100 && x.ns > 3'000'000'000) {
      a.feed({x.ns + 50'000, x.index});
      ++repeats;
    }
  }
  // Each repeat is either dropped at once (provably early) or, when the original itself came
  // late in its burst, recognised once the stream shows a datagram too many: a shift back.
  EXPECT_EQ(a.dropped - a.shift / 1152, repeats);
  EXPECT_EQ(a.analyzer.lostDatagrams(), 0u);
}

TEST(ArrivalAnalyzer, EqualBytesAloneAreNoDuplicate) {
  Analyzer a(/*identicalContent=*/true);  // digital silence, or a tone that repeats every datagram
  for (const Arrival& x : sendStream(30)) a.feed(x);
  EXPECT_EQ(a.dropped, 0);
  EXPECT_EQ(a.shift, 0);
}

// Measured: none at 5 ms; at 20 ms of uniform jitter one false step in 3 minutes (each costs a
// repeated period, cut again once the late datagrams show the excess).
TEST(ArrivalAnalyzer, JitterIsNotLoss) {
  for (double jitterMs : {5.0, 20.0}) {
    int64_t shifted = 0;
    for (unsigned seed : {1u, 2u, 3u}) {
      Analyzer a;
      for (const Arrival& x : sendStream(60, jitterMs, seed)) a.feed(x);
      shifted += std::abs(a.shift) / 1152;
    }
    EXPECT_LE(shifted, jitterMs > 10 ? 1 : 0) << jitterMs << " ms";
  }
}

TEST(ArrivalAnalyzer, ShortDatagramsAreNotAnalysed) {
  ArrivalAnalyzer a;
  a.reset({192000, 32, 8, 0x63F});  // 0.19 ms a datagram: below any jitter
  EXPECT_FALSE(a.detecting());
}

}  // namespace
}  // namespace scream::receiver
