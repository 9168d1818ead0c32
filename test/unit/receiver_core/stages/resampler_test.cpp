#include "receivers/core/resampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

namespace scream::receiver {
namespace {

// A sine on every channel (channel c at amplitude / (c + 1)), handed out in pulls of at most
// `maxPerPull` frames; after `dryAfter` frames the provider returns nothing until refilled.
class SineProvider final : public FrameProvider {
 public:
  SineProvider(unsigned channels, double frequency, double rate, double amplitude = 0.5)
      : channels_(channels), step_(2 * M_PI * frequency / rate), amplitude_(amplitude) {}

  size_t pull(float* out, size_t maxFrames) noexcept override {
    size_t n = std::min(maxFrames, maxPerPull);
    n = std::min<size_t>(n, dryAfter - std::min(dryAfter, produced));
    for (size_t i = 0; i < n; ++i, ++produced) {
      const double v = amplitude_ * std::sin(step_ * static_cast<double>(produced));
      for (unsigned c = 0; c < channels_; ++c)
        out[i * channels_ + c] = static_cast<float>(v / (c + 1));
    }
    ++pulls;
    return n;
  }

  size_t maxPerPull = SIZE_MAX;
  size_t dryAfter = SIZE_MAX;
  size_t produced = 0;
  size_t pulls = 0;

 private:
  unsigned channels_;
  double step_;
  double amplitude_;
};

// Least-squares fit of a*cos + b*sin + dc at angular frequency w (radians per sample) to x[0..n):
// the residual RMS and the fitted amplitude.
struct Fit {
  double residualRms;
  double amplitude;
};

Fit fitSine(const float* x, size_t n, size_t stride, double w) {
  // Normal equations for [cos, sin, 1].
  double m[3][3] = {}, r[3] = {};
  for (size_t i = 0; i < n; ++i) {
    const double basis[3] = {std::cos(w * i), std::sin(w * i), 1.0};
    for (int a = 0; a < 3; ++a) {
      r[a] += basis[a] * x[i * stride];
      for (int b = 0; b < 3; ++b) m[a][b] += basis[a] * basis[b];
    }
  }
  // Gaussian elimination (3x3, well conditioned for windows of more than a period).
  for (int col = 0; col < 3; ++col) {
    for (int row = col + 1; row < 3; ++row) {
      const double f = m[row][col] / m[col][col];
      for (int k = col; k < 3; ++k) m[row][k] -= f * m[col][k];
      r[row] -= f * r[col];
    }
  }
  double p[3];
  for (int row = 2; row >= 0; --row) {
    double s = r[row];
    for (int k = row + 1; k < 3; ++k) s -= m[row][k] * p[k];
    p[row] = s / m[row][row];
  }
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const double e = x[i * stride] - (p[0] * std::cos(w * i) + p[1] * std::sin(w * i) + p[2]);
    sum += e * e;
  }
  return {std::sqrt(sum / static_cast<double>(n)), std::hypot(p[0], p[1])};
}

// Fits with the frequency free too (golden-section search around `w`, +-range relative).
Fit fitSineFreeFrequency(const float* x, size_t n, size_t stride, double w, double range,
                         double* fittedW = nullptr) {
  double lo = w * (1 - range), hi = w * (1 + range);
  const double g = (std::sqrt(5.0) - 1) / 2;
  for (int i = 0; i < 40; ++i) {
    const double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    if (fitSine(x, n, stride, a).residualRms < fitSine(x, n, stride, b).residualRms) {
      hi = b;
    } else {
      lo = a;
    }
  }
  const double best = (lo + hi) / 2;
  if (fittedW != nullptr) *fittedW = best;
  return fitSine(x, n, stride, best);
}

double db(double ratio) {
  return 20 * std::log10(ratio);
}

TEST(Resampler, Sine997HzAt44100To48000KeepsItsFrequencyAndSinad) {
  constexpr unsigned kChannels = 2;
  SineProvider input(kChannels, 997, 44100);
  Resampler resampler(kChannels, ResamplerQuality::kFastest, input);
  const double ratio = 48000.0 / 44100.0;
  std::vector<float> out(48128 * kChannels);  // 188 blocks of 256
  for (size_t done = 0; done < 48128; done += 256) {
    ASSERT_EQ(resampler.read(out.data() + done * kChannels, 256, ratio), 256u);
  }
  // Skip the filter's start-up; analyse 0.5 s.
  const float* x = out.data() + 4800 * kChannels;
  const size_t n = 24000;

  // Frequency from zero crossings (interpolated), independent of any fit.
  double first = -1, last = -1;
  int crossings = 0;
  for (size_t i = 1; i < n; ++i) {
    const double a = x[(i - 1) * kChannels], b = x[i * kChannels];
    if (a < 0 && b >= 0) {
      const double at = static_cast<double>(i - 1) + a / (a - b);
      if (first < 0) first = at;
      last = at;
      ++crossings;
    }
  }
  const double measured = (crossings - 1) * 48000.0 / (last - first);
  EXPECT_NEAR(measured, 997.0, 0.05);

  for (unsigned c = 0; c < kChannels; ++c) {
    const Fit fit = fitSine(x + c, n, kChannels, 2 * M_PI * 997 / 48000);
    const double sinad = db(fit.amplitude / std::sqrt(2.0) / fit.residualRms);
    EXPECT_GT(sinad, 60.0) << "channel " << c;
    EXPECT_NEAR(fit.amplitude, 0.5 / (c + 1), 0.005);
  }
}

TEST(Resampler, BetterQualitiesAreCleaner) {
  double sinad[2];
  int i = 0;
  for (auto quality : {ResamplerQuality::kFastest, ResamplerQuality::kMedium}) {
    SineProvider input(1, 997, 44100);
    Resampler resampler(1, quality, input);
    EXPECT_EQ(resampler.quality(), quality);
    std::vector<float> out(24000);
    ASSERT_EQ(resampler.read(out.data(), out.size(), 48000.0 / 44100.0), out.size());
    const Fit fit = fitSine(out.data() + 4800, 19200, 1, 2 * M_PI * 997 / 48000);
    sinad[i++] = db(fit.amplitude / std::sqrt(2.0) / fit.residualRms);
  }
  EXPECT_GT(sinad[0], 60.0);
  EXPECT_GT(sinad[1], sinad[0]);
}

TEST(Resampler, RatioChangingEvery256FramesDoesNotGlitch) {
  SineProvider input(1, 997, 44100);
  input.maxPerPull = 37;  // short reads as well
  Resampler resampler(1, ResamplerQuality::kFastest, input);
  const double nominal = 48000.0 / 44100.0;
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> step(-1000e-6, 1000e-6);
  std::vector<float> out(96000);
  double deviation = 0;
  for (size_t done = 0; done < out.size(); done += 256) {
    // A random walk within +-1000 ppm, moving by up to 1000 ppm per block.
    deviation = std::clamp(deviation + step(rng), -1000e-6, 1000e-6);
    ASSERT_EQ(resampler.read(out.data() + done, 256, nominal * (1 + deviation)), 256u);
  }
  // In 128-frame windows the tone is a sine of nearly constant frequency: fit it with the
  // frequency free and look at what is left. A skipped or repeated sample, or a click, would
  // leave a residual near -40 dBFS.
  const double w = 2 * M_PI * 997 / 48000;
  double worst = 0, wMin = w, wMax = w;
  for (size_t start = 4800; start + 128 <= out.size(); start += 128) {
    double fitted;
    const Fit fit = fitSineFreeFrequency(out.data() + start, 128, 1, w, 3e-3, &fitted);
    worst = std::max(worst, fit.residualRms);
    wMin = std::min(wMin, fitted);
    wMax = std::max(wMax, fitted);
  }
  EXPECT_LT(db(worst), -60.0);
  // And the ratio really moved the pitch around.
  EXPECT_GT((wMax - wMin) / w, 500e-6);

  // The detector does see a glitch: drop one sample in the middle of a window.
  std::vector<float> glitched(out.begin() + 48000, out.begin() + 48000 + 256);
  glitched.erase(glitched.begin() + 64);
  EXPECT_GT(db(fitSineFreeFrequency(glitched.data(), 128, 1, w, 3e-3).residualRms), -50.0);
}

TEST(Resampler, OffIsBitExactPassThrough) {
  class Noise final : public FrameProvider {
   public:
    size_t pull(float* out, size_t maxFrames) noexcept override {
      const size_t n = std::min<size_t>(maxFrames, 1 + rng() % 50);  // short reads
      for (size_t i = 0; i < n * 3; ++i) {
        out[i] = std::uniform_real_distribution<float>(-1, 1)(rng);
        sent.push_back(out[i]);
      }
      return n;
    }
    std::mt19937 rng{5};
    std::vector<float> sent;
  } input;
  Resampler resampler(3, ResamplerQuality::kOff, input);
  std::vector<float> out(1000 * 3);
  for (size_t done = 0; done < 1000; done += 100) {
    ASSERT_EQ(resampler.read(out.data() + done * 3, 100, 1.5), 100u);  // ratio ignored
  }
  ASSERT_EQ(input.sent.size(), out.size());
  EXPECT_EQ(input.sent, out);
  EXPECT_EQ(resampler.delayFrames(), 0);
  EXPECT_EQ(resampler.quality(), ResamplerQuality::kOff);
}

TEST(Resampler, ShortReadsFromTheProviderChangeNothing) {
  SineProvider whole(2, 1234, 48000), dribble(2, 1234, 48000);
  dribble.maxPerPull = 7;
  Resampler a(2, ResamplerQuality::kFastest, whole), b(2, ResamplerQuality::kFastest, dribble);
  std::vector<float> outA(4096 * 2), outB(4096 * 2);
  for (size_t done = 0; done < 4096; done += 512) {
    const double ratio = 44100.0 / 48000.0;
    ASSERT_EQ(a.read(outA.data() + done * 2, 512, ratio), 512u);
    ASSERT_EQ(b.read(outB.data() + done * 2, 512, ratio), 512u);
  }
  EXPECT_GT(dribble.pulls, 4 * whole.pulls);
  // (With a moving ratio the two would differ by a tiny phase: libsamplerate glides the ratio
  // over each src_process() call, and a call cut short by missing input restarts the glide. The
  // glitch test below runs on short reads for that reason.)
  for (size_t i = 0; i < outA.size(); ++i) ASSERT_NEAR(outA[i], outB[i], 1e-6f) << i;
}

TEST(Resampler, DryProviderReturnsShortAndResumesLater) {
  SineProvider input(1, 440, 48000);
  input.dryAfter = 1000;
  Resampler resampler(1, ResamplerQuality::kFastest, input);
  std::vector<float> out(4096);
  size_t got = resampler.read(out.data(), 2048, 1.0);
  EXPECT_LT(got, 1000u);
  EXPECT_GT(got, 900u);  // all but the filter's look-ahead came out
  EXPECT_EQ(resampler.read(out.data(), 256, 1.0), 0u);
  // Input flows again: the converter was not terminated (libsamplerate's end-of-input).
  input.dryAfter = SIZE_MAX;
  for (int i = 0; i < 8; ++i) ASSERT_EQ(resampler.read(out.data(), 256, 1.0), 256u);
  EXPECT_EQ(resampler.errors(), 0u);
}

TEST(Resampler, DelayIsThePulledInputNotYetOut) {
  SineProvider input(1, 997, 48000);
  Resampler resampler(1, ResamplerQuality::kFastest, input);
  std::vector<float> out(4800);
  ASSERT_EQ(resampler.read(out.data(), out.size(), 1.0), out.size());
  // At ratio 1, output sample k is input sample k: libsamplerate's sinc has no intrinsic lag...
  double worst = 0;
  for (size_t k = 1000; k < out.size(); ++k) {
    worst = std::max(worst, std::fabs(out[k] - 0.5 * std::sin(2 * M_PI * 997 / 48000 * k)));
  }
  EXPECT_LT(db(worst), -60.0);
  // ... so the frames it holds are exactly its share of the latency: a filter's half length.
  const double delay = resampler.delayFrames();
  EXPECT_NEAR(delay, static_cast<double>(input.produced) - 4800.0, 1e-6);
  EXPECT_GT(delay, 5.0);
  EXPECT_LT(delay, 300.0);
  // At another ratio the count is in input frames.
  const double ratio = 48000.0 / 44100.0;
  ASSERT_EQ(resampler.read(out.data(), out.size(), ratio), out.size());
  EXPECT_NEAR(resampler.delayFrames(),
              static_cast<double>(input.produced) - 4800.0 - 4800.0 / ratio, 2.0);
}

TEST(Resampler, ResetDropsHistory) {
  SineProvider input(2, 997, 48000);
  Resampler resampler(2, ResamplerQuality::kFastest, input);
  std::vector<float> out(1024 * 2);
  ASSERT_EQ(resampler.read(out.data(), 1024, 1.1), 1024u);
  ASSERT_GT(resampler.delayFrames(), 0);
  resampler.reset();
  EXPECT_EQ(resampler.delayFrames(), 0);
  EXPECT_EQ(resampler.read(out.data(), 1024, 1.1), 1024u);
}

TEST(Resampler, OutOfRangeRatiosAreClampedNotFatal) {
  SineProvider input(1, 997, 48000);
  Resampler resampler(1, ResamplerQuality::kFastest, input);
  std::vector<float> out(512);
  EXPECT_EQ(resampler.read(out.data(), 512, NAN), 512u);
  EXPECT_EQ(resampler.read(out.data(), 512, 0.0), 512u);
  EXPECT_EQ(resampler.read(out.data(), 512, 1e9), 512u);
  EXPECT_EQ(resampler.errors(), 0u);
}

TEST(Resampler, ConstructorRefusesZeroChannels) {
  SineProvider input(1, 997, 48000);
  EXPECT_THROW(Resampler(0, ResamplerQuality::kFastest, input), std::runtime_error);
}

}  // namespace
}  // namespace scream::receiver

namespace scream::receiver {
namespace {

// libsamplerate takes all the input it is given into its own buffer. If the resampler pulled
// even a frame more than each block needs, audio would migrate from the ring into the resampler
// block by block: the ring would run dry (an underrun) while the resampler still held audio.
TEST(Resampler, InputPulledStaysBoundedOverManyBlocks) {
  for (const double ratio : {1.0 / 0.999, 1.0, 1.0 / 1.001, 48000.0 / 44100.0}) {
    SineProvider provider(2, 997, 48000);
    Resampler resampler(2, ResamplerQuality::kFastest, provider);
    std::vector<float> out(240 * 2);
    double maxHeld = 0;
    for (int block = 0; block < 4000; ++block) {
      ASSERT_EQ(resampler.read(out.data(), 240, ratio), 240u);
      maxHeld = std::max(maxHeld, resampler.delayFrames());
    }
    // What went in minus what came out (in input frames) is what the resampler holds.
    const double held = static_cast<double>(provider.produced) - 4000.0 * 240.0 / ratio;
    EXPECT_LT(held, 64.0) << "ratio " << ratio;
    EXPECT_NEAR(resampler.delayFrames(), held, 2.0) << "ratio " << ratio;
    EXPECT_LT(maxHeld, 64.0) << "ratio " << ratio;
  }
}

}  // namespace
}  // namespace scream::receiver
