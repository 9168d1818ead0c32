// Variable-ratio resampler on the audio thread, between the jitter buffer and the channel remap:
// converts the stream's rate to the device's and, through small ratio changes every period,
// absorbs the clock drift the drift controller measures. libsamplerate's sinc converters move
// the ratio smoothly across each block, so a changing ratio does not click (unlike speexdsp), and
// even SRC_SINC_FASTEST keeps the SINAD far above linear interpolation.
//
// Output is pulled in exact amounts: read() asks the FrameProvider for input as libsamplerate
// needs it. We drive src_process() ourselves rather than src_callback_read(): a callback that
// returns no frames makes libsamplerate flush and terminate the converter for good, so a single
// dry pull would silence the stream until reset(). Here a dry provider only makes read() return
// early, with the converter's history intact for when input flows again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

typedef struct SRC_STATE_tag SRC_STATE;

namespace scream::receiver {

enum class ResamplerQuality {
  kFastest,  // SRC_SINC_FASTEST: the default; ~97 dB SNR, 80 % bandwidth
  kMedium,   // SRC_SINC_MEDIUM_QUALITY
  kBest,     // SRC_SINC_BEST_QUALITY: expensive, for high-end setups
  kOff,      // pass-through, ratio ignored (only when device and stream rates match)
};

// The resampler's input: interleaved float frames of the resampler's channel count.
class FrameProvider {
 public:
  // Writes up to maxFrames frames to `out`, returns how many. 0 means no input right now.
  virtual size_t pull(float* out, size_t maxFrames) noexcept = 0;

 protected:
  ~FrameProvider() = default;
};

class Resampler {
 public:
  // Allocates; throws std::runtime_error if libsamplerate refuses (e.g. channels == 0).
  Resampler(unsigned channels, ResamplerQuality quality, FrameProvider& input,
            size_t maxInputFramesPerPull = 256);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Produces `frames` interleaved frames at `ratio` = output rate / input rate (libsamplerate's
  // convention; clamped to libsamplerate's 1/256..256). Returns the frames produced: `frames`
  // unless the provider ran dry.
  size_t read(float* out, size_t frames, double ratio) noexcept;

  // Not real-time: drops the converter's history and any pulled input.
  void reset();

  // Input frames pulled from the provider that have not come out yet: libsamplerate's sinc
  // output is time-aligned with its input (no intrinsic lag), so this is the resampler's share of
  // the latency, in input frames. Approximate to a frame or two while the ratio moves.
  double delayFrames() const { return held_; }

  ResamplerQuality quality() const { return quality_; }
  unsigned channels() const { return channels_; }
  // libsamplerate errors seen by read() (none expected; read() stops early on one).
  uint64_t errors() const { return errors_; }

 private:
  size_t passThrough(float* out, size_t frames) noexcept;

  const unsigned channels_;
  const ResamplerQuality quality_;
  FrameProvider& input_;
  const size_t maxPull_;
  SRC_STATE* state_ = nullptr;
  std::vector<float> staging_;  // pulled input not yet handed to libsamplerate
  size_t stagedFrames_ = 0;
  size_t stagedUsed_ = 0;
  double held_ = 0;
  uint64_t errors_ = 0;
};

}  // namespace scream::receiver
