// Playout alone: a tone through the ring, with inserts, cuts and underruns, checked for what
// matters to the ear (no step in the waveform, no level dip) and for exact frame accounting.
#include "receivers/core/playout.h"
#include "support/audio_analysis.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace scream::receiver {
namespace {

constexpr double kRate = 48000;

class TonePlayout {
 public:
  explicit TonePlayout(double hz = 997, unsigned channels = 2)
      : hz_(hz), channels_(channels), ring_(kRate * channels), playout_(ring_, config(channels)) {}

  static Playout::Config config(unsigned channels) {
    Playout::Config c;
    c.channels = channels;
    c.sampleRate = kRate;
    return c;
  }

  // Writes `frames` more frames of the tone into the ring.
  void feed(size_t frames) {
    std::vector<float> block(frames * channels_);
    for (size_t f = 0; f < frames; ++f, ++written_) {
      for (unsigned c = 0; c < channels_; ++c) {
        block[f * channels_ + c] = static_cast<float>(0.5 * std::sin(2 * M_PI * hz_ * written_ / kRate));
      }
    }
    ring_.write(block.data(), block.size());
  }

  // `frames` fed and the first `playing` of them played (faded in): edits can be placed ahead.
  void startPlaying(size_t frames, size_t playing) {
    feed(frames);
    playout_.startFadeIn();
    play(playing);
  }

  // Writes the last `frames` frames fed once more (a datagram that came twice).
  void repeat(size_t frames) {
    written_ -= frames;
    feed(frames);
  }

  // The next `frames` frames of the tone never arrive (a lost datagram).
  void lose(size_t frames) { written_ += frames; }

  // Pulls `frames` frames in blocks of 240 and appends channel 0 to `played`.
  void play(size_t frames) {
    std::vector<float> block(240 * channels_);
    while (frames > 0) {
      const size_t n = std::min<size_t>(frames, 240);
      playout_.pull(block.data(), n);
      for (size_t f = 0; f < n; ++f) played.push_back(block[f * channels_]);
      frames -= n;
    }
  }

  // Largest step between neighbouring samples from `from` on: a 997 Hz sine at 0.5 moves at most
  // 0.065 per sample; a seam that does not match jumps further.
  float maxStep(size_t from = 1) const {
    float worst = 0;
    for (size_t i = std::max<size_t>(from, 1); i < played.size(); ++i) {
      worst = std::max(worst, std::fabs(played[i] - played[i - 1]));
    }
    return worst;
  }

  // Glitch events (TESTING.md's detector: notch residual and tone envelope) after `from` s.
  size_t glitches(double from = 0.06) const {
    return scream::testing::detectGlitches(played, static_cast<uint32_t>(kRate), from,
                                           played.size() / kRate - 0.01, hz_).events;
  }

  Playout& playout() { return playout_; }
  SpscRing<float>& ring() { return ring_; }
  std::vector<float> played;

 private:
  double hz_;
  unsigned channels_;
  uint64_t written_ = 0;
  SpscRing<float> ring_;
  Playout playout_;
};

TEST(Playout, InsertRepeatsWholePeriodsWithoutASeam) {
  TonePlayout t;
  t.feed(4800);
  t.playout().startFadeIn();
  t.play(2400);
  t.playout().insert(144);  // 3 ms
  t.play(1200);
  EXPECT_GT(t.playout().insertedFrames(), 100u);
  EXPECT_LT(t.playout().insertedFrames(), 144u + 720u / 2);
  EXPECT_LT(t.maxStep(300), 0.07f);
  EXPECT_EQ(t.glitches(), 0u);
  EXPECT_EQ(t.playout().consumed() + t.playout().insertedFrames(), 3600u);
}

TEST(Playout, ARepeatedDatagramIsSkippedWhereItLies) {
  TonePlayout t;
  t.feed(3000);
  t.repeat(288);  // ring frames [3000, 3288) repeat [2712, 3000)
  t.feed(3000);
  t.playout().startFadeIn();
  t.play(1200);
  EXPECT_TRUE(t.playout().skipAt(3000, 288));
  EXPECT_EQ(t.playout().skipPending(), 288u);
  EXPECT_FALSE(t.playout().skipAt(1000, 288)) << "playback is past it";
  t.play(4800);
  EXPECT_EQ(t.playout().skippedFrames(), 288u);
  EXPECT_EQ(t.playout().skipPending(), 0u);
  EXPECT_EQ(t.playout().consumed(), 6000u + 288u);
  EXPECT_LT(t.maxStep(300), 0.07f);
  EXPECT_EQ(t.glitches(), 0u);
}

TEST(Playout, LostAudioIsConcealedWhereItWasLost) {
  for (bool inPlace : {true, false}) {
    TonePlayout t;
    t.feed(3000);
    t.lose(200);  // ring frame 3000 follows the gap (288 would be almost 6 whole periods: unseen)
    t.feed(3000);
    t.playout().startFadeIn();
    t.play(1200);
    if (inPlace) {
      EXPECT_TRUE(t.playout().concealAt(3000, 200));
    }
    t.play(4800);
    if (inPlace) {
      EXPECT_EQ(t.playout().concealedAtFrames(), 200u);
      EXPECT_EQ(t.playout().concealPending(), 0u);
      EXPECT_LT(t.maxStep(300), 0.07f);
    } else {
      EXPECT_GT(t.maxStep(300), 0.1f) << "a gap left alone must show";
    }
  }
}

TEST(Playout, ASkipOrAConcealmentCalledOffPlaysEverything) {
  TonePlayout t;
  t.startPlaying(6000, 1200);
  EXPECT_TRUE(t.playout().skipAt(3000, 288));
  EXPECT_TRUE(t.playout().cancelSkip(3000, 288));
  EXPECT_FALSE(t.playout().cancelSkip(3000, 288));
  EXPECT_TRUE(t.playout().concealAt(4000, 288));
  EXPECT_TRUE(t.playout().cancelConceal(4000, 288));
  EXPECT_FALSE(t.playout().cancelConceal(4000, 288));
  EXPECT_EQ(t.playout().concealPending(), 0u);
  t.play(4000);
  EXPECT_EQ(t.playout().skippedFrames(), 0u);
  EXPECT_EQ(t.playout().concealedAtFrames(), 0u);
  EXPECT_EQ(t.playout().consumed(), 5200u);
  EXPECT_EQ(t.glitches(), 0u);
}

// Two gaps declared at the same seam (a loss seen at once, then more of it when the burst ended)
// are one concealment of both; calling off one leaves the other.
TEST(Playout, GapsAtTheSameSeamJoinAndAreCalledOffInPart) {
  TonePlayout t;
  t.startPlaying(6000, 1200);
  EXPECT_TRUE(t.playout().concealAt(4000, 288));
  EXPECT_TRUE(t.playout().concealAt(4000, 1152));
  EXPECT_EQ(t.playout().concealPending(), 1440u);
  EXPECT_TRUE(t.playout().cancelConceal(4000, 1152));
  EXPECT_EQ(t.playout().concealPending(), 288u);
  t.play(4000);
  EXPECT_EQ(t.playout().concealedAtFrames(), 288u);
}

// A cut asked for while a skip waits ahead is taken before it, never across it.
TEST(Playout, ACutNeverJumpsAnEditWaitingAhead) {
  TonePlayout t;
  t.feed(3000);
  t.repeat(288);
  t.startPlaying(6000, 2400);
  EXPECT_TRUE(t.playout().skipAt(3000, 288));
  t.playout().cut(288);
  t.play(4800);
  EXPECT_EQ(t.playout().skippedFrames(), 288u) << "the skip happened where it was";
  EXPECT_GT(t.playout().cutFrames(), 0u);
  EXPECT_EQ(t.glitches(), 0u);
}

TEST(Playout, CutRemovesAPeriodWithoutASeam) {
  TonePlayout t;
  t.feed(9600);
  t.playout().startFadeIn();
  t.play(2400);
  t.playout().cut(288);  // 6 ms
  t.play(2400);
  // 997 Hz repeats cleanly only every 337 frames (7 periods): the nearest clean cut to 288.
  EXPECT_EQ(t.playout().cutFrames(), 337u);
  EXPECT_LT(t.maxStep(300), 0.07f);
  EXPECT_EQ(t.glitches(), 0u);
  EXPECT_EQ(t.playout().consumed(), 4800u + t.playout().cutFrames());
}

TEST(Playout, UnderrunRepeatsTheLastPeriodThenResumesOnTheData) {
  TonePlayout t;
  t.feed(2400);
  t.playout().startFadeIn();
  t.play(2400 + 480);  // 10 ms dry
  EXPECT_TRUE(t.playout().takeRanDry());
  t.feed(2400);
  t.play(1200);
  EXPECT_TRUE(t.playout().takeResumed());
  EXPECT_FALSE(t.playout().silent());
  EXPECT_LT(t.maxStep(300), 0.07f) << "no step into the repetition nor back onto the data";
  EXPECT_EQ(t.glitches(), 0u);
  // Full level throughout: no dip while concealing.
  float peak = 0;
  for (size_t i = 2400; i < 2880; ++i) peak = std::max(peak, std::fabs(t.played[i]));
  EXPECT_GT(peak, 0.45f);
}

TEST(Playout, ALongUnderrunFadesToSilenceNotAHardZero) {
  TonePlayout t;
  t.feed(2400);
  t.playout().startFadeIn();
  t.play(2400 + 4800);  // 100 ms dry: 20 ms full, 40 ms fade, then silence
  EXPECT_TRUE(t.playout().silent());
  EXPECT_LT(t.maxStep(300), 0.07f);
  float late = 0;
  for (size_t i = 2400 + 2880 + 100; i < t.played.size(); ++i) late = std::max(late, std::fabs(t.played[i]));
  EXPECT_LT(late, 1e-6f);
}

}  // namespace
}  // namespace scream::receiver
