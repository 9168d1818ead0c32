// Concealment on the audio thread, where frames leave the jitter buffer: the device never hears
// a hard step to or from zero. An underrun fades the last real frames out; the stream then stays
// silent until the engine has refilled the buffer to its target and calls startFadeIn(); the
// next real frames then fade in. Stop and format change use fadeOutNow().
//
// The ramp is a raised cosine (half a Hann window) rather than linear: its slope is zero at both
// ends, so the gain change itself adds no corner to the waveform and splatters less energy into
// high frequencies at the same length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace scream::receiver {

class Concealer {
 public:
  // Allocates. Starts silent: the engine primes the buffer, then calls startFadeIn().
  Concealer(unsigned channels, size_t fadeFrames);

  // `block` holds `blockFrames` interleaved frames, of which the first `realFrames` are real.
  //   - Playing and realFrames == blockFrames: passed through (or faded in, see startFadeIn).
  //   - realFrames < blockFrames (underrun): the real tail fades out over min(realFrames,
  //     fadeFrames) frames, reaching 0 exactly at the last real frame; the rest is silence and the
  //     concealer becomes silent. With no real frame at all, the last frame sent out decays to 0
  //     over fadeFrames instead (a slow glide from that value, not a step).
  //   - Silent: the whole block is silence; real frames are ignored.
  void process(float* block, size_t realFrames, size_t blockFrames) noexcept;

  // Leaves silence: the next real frames fade in over fadeFrames. No effect unless silent.
  void startFadeIn() noexcept;
  // The next block fades out from its start, over min(realFrames, fadeFrames), then silence.
  void fadeOutNow() noexcept;
  // Silent at once, no fade (for a stream that is not playing anyway).
  void reset() noexcept;

  bool silent() const { return state_ == State::kSilent; }
  // Frames sent out that were not real audio (silence, or the decay after a dry block).
  uint64_t concealedFrames() const { return concealed_; }
  size_t fadeFrames() const { return fadeFrames_; }

 private:
  enum class State : uint8_t { kSilent, kFadingIn, kPlaying };

  // Raised cosine from 0 (x = 0) to 1 (x = 1).
  static float ramp(double x) noexcept;
  void decayFromLastFrame(float* block, size_t blockFrames) noexcept;
  void rememberLastFrame(const float* block, size_t frames) noexcept;

  const unsigned channels_;
  const size_t fadeFrames_;
  State state_ = State::kSilent;
  size_t fadeInDone_ = 0;  // frames of the fade-in already played
  bool fadeOutPending_ = false;
  std::vector<float> lastFrame_;  // the last frame sent out, for a block without real frames
  uint64_t concealed_ = 0;
};

}  // namespace scream::receiver
