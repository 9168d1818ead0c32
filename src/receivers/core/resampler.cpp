#include "resampler.h"

#include <samplerate.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace scream::receiver {

namespace {

int converterType(ResamplerQuality quality) {
  switch (quality) {
    case ResamplerQuality::kFastest: return SRC_SINC_FASTEST;
    case ResamplerQuality::kMedium: return SRC_SINC_MEDIUM_QUALITY;
    case ResamplerQuality::kBest: return SRC_SINC_BEST_QUALITY;
    case ResamplerQuality::kOff: break;
  }
  return SRC_SINC_FASTEST;
}

// libsamplerate's SRC_MAX_RATIO.
constexpr double kMaxRatio = 256.0;

}  // namespace

Resampler::Resampler(unsigned channels, ResamplerQuality quality, FrameProvider& input,
                     size_t maxInputFramesPerPull)
    : channels_(channels),
      quality_(quality),
      input_(input),
      maxPull_(std::max<size_t>(maxInputFramesPerPull, 1)) {
  if (channels == 0) throw std::runtime_error("resampler: channel count is 0");
  if (quality_ == ResamplerQuality::kOff) return;
  int error = 0;
  state_ = src_new(converterType(quality_), static_cast<int>(channels), &error);
  if (state_ == nullptr) {
    throw std::runtime_error(std::string("resampler: ") + src_strerror(error));
  }
  staging_.resize(maxPull_ * channels_);
}

Resampler::~Resampler() {
  if (state_ != nullptr) src_delete(state_);
}

void Resampler::reset() {
  if (state_ != nullptr) src_reset(state_);
  stagedFrames_ = 0;
  stagedUsed_ = 0;
  held_ = 0;
}

size_t Resampler::passThrough(float* out, size_t frames) noexcept {
  size_t done = 0;
  while (done < frames) {
    const size_t got = input_.pull(out + done * channels_, frames - done);
    if (got == 0) break;
    done += std::min(got, frames - done);
  }
  return done;
}

size_t Resampler::read(float* out, size_t frames, double ratio) noexcept {
  if (quality_ == ResamplerQuality::kOff) return passThrough(out, frames);
  if (!std::isfinite(ratio)) ratio = 1.0;
  ratio = std::clamp(ratio, 1.0 / kMaxRatio, kMaxRatio);

  // libsamplerate copies all the input it is given into its own buffer. Pull from the provider
  // only when it cannot make progress with what it already holds, and then only what the rest of
  // this block needs: audio waits in the ring, where the engine measures it and the concealer
  // sees an underrun coming, instead of piling up in here.
  size_t produced = 0;
  int idle = 0;
  while (produced < frames) {
    SRC_DATA data{};
    data.data_in = staging_.data() + stagedUsed_ * channels_;
    data.input_frames = static_cast<long>(stagedFrames_ - stagedUsed_);
    data.data_out = out + produced * channels_;
    data.output_frames = static_cast<long>(frames - produced);
    data.end_of_input = 0;  // never: that would terminate the converter
    data.src_ratio = ratio;
    if (src_process(state_, &data) != 0) {
      ++errors_;
      break;
    }
    stagedUsed_ += static_cast<size_t>(data.input_frames_used);
    produced += static_cast<size_t>(data.output_frames_gen);
    held_ = std::max(0.0, held_ - static_cast<double>(data.output_frames_gen) / ratio);
    if (produced >= frames) break;
    if (data.output_frames_gen > 0 || data.input_frames_used > 0) {
      idle = 0;
      continue;
    }
    if (stagedUsed_ < stagedFrames_ || ++idle > 2) break;  // no progress despite input: give up
    const double need = std::ceil(static_cast<double>(frames - produced) / ratio) + 1.0;
    const size_t want = std::min(maxPull_, static_cast<size_t>(need));
    stagedFrames_ = std::min(input_.pull(staging_.data(), want), want);
    stagedUsed_ = 0;
    held_ += static_cast<double>(stagedFrames_);
    if (stagedFrames_ == 0) break;  // the provider is dry
  }
  return produced;
}

}  // namespace scream::receiver
