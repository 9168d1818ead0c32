#include "concealer.h"

#include <algorithm>
#include <cmath>

namespace scream::receiver {

Concealer::Concealer(unsigned channels, size_t fadeFrames)
    : channels_(channels), fadeFrames_(fadeFrames), lastFrame_(channels, 0.0f) {}

float Concealer::ramp(double x) noexcept {
  return static_cast<float>(0.5 - 0.5 * std::cos(M_PI * x));
}

void Concealer::startFadeIn() noexcept {
  if (state_ != State::kSilent) return;
  state_ = fadeFrames_ > 0 ? State::kFadingIn : State::kPlaying;
  fadeInDone_ = 0;
}

void Concealer::fadeOutNow() noexcept {
  if (state_ != State::kSilent) fadeOutPending_ = true;
}

void Concealer::reset() noexcept {
  state_ = State::kSilent;
  fadeOutPending_ = false;
  fadeInDone_ = 0;
  std::fill(lastFrame_.begin(), lastFrame_.end(), 0.0f);
}

void Concealer::rememberLastFrame(const float* block, size_t frames) noexcept {
  if (frames == 0) return;
  std::copy_n(block + (frames - 1) * channels_, channels_, lastFrame_.begin());
}

void Concealer::decayFromLastFrame(float* block, size_t blockFrames) noexcept {
  const size_t n = std::min(fadeFrames_, blockFrames);
  for (size_t i = 0; i < n; ++i) {
    const float g = ramp(static_cast<double>(n - 1 - i) / static_cast<double>(n));
    for (unsigned c = 0; c < channels_; ++c) block[i * channels_ + c] = lastFrame_[c] * g;
  }
  std::fill(block + n * channels_, block + blockFrames * channels_, 0.0f);
}

void Concealer::process(float* block, size_t realFrames, size_t blockFrames) noexcept {
  const size_t real = std::min(realFrames, blockFrames);
  if (state_ == State::kSilent) {
    std::fill(block, block + blockFrames * channels_, 0.0f);
    concealed_ += blockFrames;
    return;
  }

  const bool ending = fadeOutPending_ || real < blockFrames;
  if (ending && real == 0) {
    // Nothing real to fade: glide from the last value we sent rather than step to zero.
    decayFromLastFrame(block, blockFrames);
    concealed_ += blockFrames;
  } else {
    const size_t fadeLength = ending ? std::min(real, fadeFrames_) : 0;
    const size_t fadeStart = fadeOutPending_ ? 0 : real - fadeLength;
    const size_t audible = ending ? fadeStart + fadeLength : real;
    for (size_t i = 0; i < audible; ++i) {
      float g = 1.0f;
      if (state_ == State::kFadingIn) {
        g = ramp(static_cast<double>(fadeInDone_) / static_cast<double>(fadeFrames_));
        if (++fadeInDone_ >= fadeFrames_) state_ = State::kPlaying;
      }
      if (i >= fadeStart && ending) {
        const size_t j = i - fadeStart;
        g *= ramp(static_cast<double>(fadeLength - 1 - j) / static_cast<double>(fadeLength));
      }
      if (g != 1.0f) {
        for (unsigned c = 0; c < channels_; ++c) block[i * channels_ + c] *= g;
      }
    }
    std::fill(block + audible * channels_, block + blockFrames * channels_, 0.0f);
    rememberLastFrame(block, audible);
    concealed_ += blockFrames - audible;
  }

  if (ending) {
    state_ = State::kSilent;
    fadeOutPending_ = false;
    std::fill(lastFrame_.begin(), lastFrame_.end(), 0.0f);
  }
}

}  // namespace scream::receiver
