#include "receivers/core/concealer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace scream::receiver {
namespace {

constexpr size_t kFade = 48;

double raisedCosine(double x) {
  return 0.5 - 0.5 * std::cos(M_PI * x);
}

std::vector<float> constant(size_t frames, unsigned channels, float value) {
  return std::vector<float>(frames * channels, value);
}

// A running sine, block by block, on `channels` channels (channel c scaled by 1 / (c + 1)).
struct Sine {
  unsigned channels;
  double step = 2 * M_PI * 1000 / 48000;
  double phase = 0.3;
  size_t n = 0;
  std::vector<float> next(size_t frames) {
    std::vector<float> block(frames * channels);
    for (size_t i = 0; i < frames; ++i, ++n) {
      const double v = 0.9 * std::sin(phase + step * static_cast<double>(n));
      for (unsigned c = 0; c < channels; ++c)
        block[i * channels + c] = static_cast<float>(v / (c + 1));
    }
    return block;
  }
  // Largest sample-to-sample step of the undisturbed signal.
  double maxStep() const { return 0.9 * 2 * std::sin(step / 2); }
};

// Largest step between consecutive frames across a whole output (channel 0).
double largestStep(const std::vector<float>& out, unsigned channels) {
  double worst = 0;
  for (size_t i = channels; i < out.size(); i += channels) {
    worst = std::max(worst, static_cast<double>(std::fabs(out[i] - out[i - channels])));
  }
  return worst;
}

TEST(Concealer, StartsSilentAndIgnoresRealFramesUntilFadeIn) {
  Concealer concealer(2, kFade);
  EXPECT_TRUE(concealer.silent());
  auto block = constant(256, 2, 0.5f);
  concealer.process(block.data(), 256, 256);
  for (float v : block) ASSERT_EQ(v, 0.0f);
  EXPECT_TRUE(concealer.silent());
  EXPECT_EQ(concealer.concealedFrames(), 256u);
}

TEST(Concealer, FadesInWithARaisedCosineAcrossBlocks) {
  Concealer concealer(2, kFade);
  concealer.startFadeIn();
  EXPECT_FALSE(concealer.silent());
  std::vector<float> out;
  for (int b = 0; b < 4; ++b) {  // blocks of 20: the fade spans three of them
    auto block = constant(20, 2, 1.0f);
    concealer.process(block.data(), 20, 20);
    out.insert(out.end(), block.begin(), block.end());
  }
  for (size_t i = 0; i < 80; ++i) {
    const double expected = i < kFade ? raisedCosine(static_cast<double>(i) / kFade) : 1.0;
    ASSERT_NEAR(out[2 * i], expected, 1e-6) << i;
    ASSERT_EQ(out[2 * i], out[2 * i + 1]) << "channels fade together";
  }
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(concealer.concealedFrames(), 0u);
}

TEST(Concealer, UnderrunFadesTheRealTailToZeroAtItsLastFrame) {
  Concealer concealer(1, kFade);
  concealer.startFadeIn();
  auto warm = constant(kFade, 1, 1.0f);
  concealer.process(warm.data(), kFade, kFade);  // fade-in done

  auto block = constant(256, 1, 1.0f);
  concealer.process(block.data(), 100, 256);
  for (size_t i = 0; i < 100 - kFade; ++i) ASSERT_EQ(block[i], 1.0f) << i;
  for (size_t j = 0; j < kFade; ++j) {
    const double expected = raisedCosine(static_cast<double>(kFade - 1 - j) / kFade);
    ASSERT_NEAR(block[100 - kFade + j], expected, 1e-6) << j;
  }
  EXPECT_EQ(block[99], 0.0f);
  for (size_t i = 100; i < 256; ++i) ASSERT_EQ(block[i], 0.0f);
  EXPECT_TRUE(concealer.silent());
  EXPECT_EQ(concealer.concealedFrames(), 156u);

  // Real frames arrive again, but nothing plays before startFadeIn().
  auto later = constant(256, 1, 1.0f);
  concealer.process(later.data(), 256, 256);
  for (float v : later) ASSERT_EQ(v, 0.0f);
  EXPECT_EQ(concealer.concealedFrames(), 412u);
  concealer.startFadeIn();
  later = constant(256, 1, 1.0f);
  concealer.process(later.data(), 256, 256);
  EXPECT_EQ(later[0], 0.0f);
  EXPECT_EQ(later[255], 1.0f);
}

TEST(Concealer, ShortTailFadesOverWhatThereIs) {
  Concealer concealer(1, kFade);
  concealer.startFadeIn();
  auto warm = constant(kFade, 1, 1.0f);
  concealer.process(warm.data(), kFade, kFade);
  auto block = constant(64, 1, 1.0f);
  concealer.process(block.data(), 10, 64);
  for (size_t j = 0; j < 10; ++j) {
    ASSERT_NEAR(block[j], raisedCosine(static_cast<double>(9 - j) / 10), 1e-6) << j;
  }
  EXPECT_EQ(block[9], 0.0f);
  EXPECT_TRUE(concealer.silent());
}

TEST(Concealer, TransitionsAreNoSteeperThanTheSignalItself) {
  for (unsigned channels : {1u, 6u}) {
    Concealer concealer(channels, kFade);
    Sine sine{channels};
    std::vector<float> out;
    auto play = [&](size_t real, size_t frames) {
      auto block = sine.next(frames);
      concealer.process(block.data(), real, frames);
      out.insert(out.end(), block.begin(), block.end());
    };
    concealer.startFadeIn();
    play(256, 256);
    play(256, 256);
    play(130, 256);  // underrun
    play(256, 256);  // silent
    concealer.startFadeIn();
    play(256, 256);
    play(20, 256);  // underrun right after a completed fade-in
    concealer.startFadeIn();
    play(30, 256);  // underrun while still fading in
    concealer.startFadeIn();
    play(256, 256);
    concealer.fadeOutNow();
    play(256, 256);
    // The fade adds at most its own steepest gain change (pi / 2 / fade) times the amplitude.
    const double epsilon = 0.9 * M_PI / 2 / kFade + 1e-6;
    EXPECT_LE(largestStep(out, channels), sine.maxStep() + epsilon) << channels << " channels";
    // And it did go silent in between (or the test would prove nothing).
    EXPECT_EQ(out[(3 * 256 + 100) * channels], 0.0f);
  }
}

TEST(Concealer, ABlockWithoutRealFramesGlidesFromTheLastValue) {
  Concealer concealer(2, kFade);
  Sine sine{2};
  concealer.startFadeIn();
  std::vector<float> out;
  for (int b = 0; b < 3; ++b) {
    auto block = sine.next(100);
    concealer.process(block.data(), 100, 100);
    out.insert(out.end(), block.begin(), block.end());
  }
  const float last = out[out.size() - 2];
  ASSERT_GT(std::fabs(last), 0.1f);  // the sine was well away from zero
  auto dry = sine.next(100);
  concealer.process(dry.data(), 0, 100);
  EXPECT_NEAR(dry[0], last, std::fabs(last) * M_PI / 2 / kFade + 1e-6);
  EXPECT_EQ(dry[2 * (kFade - 1)], 0.0f);
  for (size_t i = kFade; i < 100; ++i) ASSERT_EQ(dry[2 * i], 0.0f);
  out.insert(out.end(), dry.begin(), dry.end());
  EXPECT_LE(largestStep(out, 2), sine.maxStep() + 0.9 * M_PI / 2 / kFade + 1e-6);
  EXPECT_TRUE(concealer.silent());
  EXPECT_EQ(concealer.concealedFrames(), 100u);
}

TEST(Concealer, FadeOutNowFadesTheNextBlockFromItsStart) {
  Concealer concealer(1, kFade);
  concealer.startFadeIn();
  auto warm = constant(kFade, 1, 1.0f);
  concealer.process(warm.data(), kFade, kFade);
  concealer.fadeOutNow();
  EXPECT_FALSE(concealer.silent());  // only the next block does it
  auto block = constant(256, 1, 1.0f);
  concealer.process(block.data(), 256, 256);
  EXPECT_NEAR(block[0], raisedCosine(static_cast<double>(kFade - 1) / kFade), 1e-6);
  EXPECT_EQ(block[kFade - 1], 0.0f);
  for (size_t i = kFade; i < 256; ++i) ASSERT_EQ(block[i], 0.0f);
  EXPECT_TRUE(concealer.silent());
  EXPECT_EQ(concealer.concealedFrames(), 256u - kFade);
}

TEST(Concealer, RequestsOutOfTurnAreHarmless) {
  Concealer concealer(1, kFade);
  concealer.fadeOutNow();  // silent already: nothing to fade
  concealer.startFadeIn();
  auto block = constant(100, 1, 1.0f);
  concealer.process(block.data(), 100, 100);
  EXPECT_EQ(block[99], 1.0f);
  concealer.startFadeIn();  // playing: no new fade-in
  block = constant(100, 1, 1.0f);
  concealer.process(block.data(), 100, 100);
  EXPECT_EQ(block[0], 1.0f);
  concealer.reset();
  EXPECT_TRUE(concealer.silent());
}

TEST(Concealer, ZeroLengthFadeSwitchesAtOnce) {
  Concealer concealer(1, 0);
  concealer.startFadeIn();
  auto block = constant(10, 1, 1.0f);
  concealer.process(block.data(), 10, 10);
  EXPECT_EQ(block[0], 1.0f);
  concealer.process(block.data(), 5, 10);
  EXPECT_EQ(block[4], 1.0f);
  EXPECT_EQ(block[5], 0.0f);
  EXPECT_TRUE(concealer.silent());
}

}  // namespace
}  // namespace scream::receiver
