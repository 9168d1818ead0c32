// The adaptive latency target on the audio thread: how much audio (jitter buffer + resampler +
// device) the drift controller aims to keep queued. It starts low, jumps up at once when the
// network proves it needs more (an underrun, or the buffer getting within a hair of empty), and
// comes back down only slowly, one small step after each quiet hold-off period, so a network that
// misbehaves every half minute does not make the latency saw up and down. The engine drains or
// builds the difference through the resampler, never by dropping or inserting audio.
//
// Units are the caller's (frames, or milliseconds), as long as they are the same throughout.
#pragma once

namespace scream::receiver {

class LatencyTarget {
 public:
  struct Config {
    double initialFrames = 0;
    double minFrames = 0;
    double maxFrames = 0;
    double stepUpFrames = 0;
    double holdOffSeconds = 15;
    double stepDownFrames = 0;
    bool pinned = false;  // -t MS: never moves

    // 48 kHz/16 bit/stereo-style defaults for any stream: start at 4 payloads but never under
    // 24 ms (the sender's ~10 ms bursts plus a little jitter), up 2 payloads but at least 10 ms
    // per underrun, down 2 ms per quiet hold-off, at most 250 ms.
    static Config forStream(double sampleRate, double payloadFrames);
  };

  LatencyTarget() = default;

  // Not real-time in spirit (a new stream), but does not allocate. initialFrames is clamped into
  // [minFrames, maxFrames].
  void reset(const Config& config) noexcept;

  double frames() const { return frames_; }
  const Config& config() const { return config_; }

  // An underrun happened: raise by stepUpFrames at once, or by how long the buffer stayed dry
  // if that was longer, capped at maxFrames.
  void onUnderrun(double nowSeconds, double dryFrames = 0) noexcept;
  // The buffer came within a small margin of empty: raise by half a step.
  void onNearMiss(double nowSeconds) noexcept;
  // Call every period: lowers by stepDownFrames once holdOffSeconds have passed without an event
  // and without a lowering, never below max(minFrames, initialFrames).
  void tick(double nowSeconds) noexcept;

 private:
  void raise(double by, double nowSeconds) noexcept;

  Config config_;
  double frames_ = 0;
  double floor_ = 0;
  double lastChange_ = 0;      // last event or lowering, seconds
  bool clockStarted_ = false;  // lastChange_ holds a time
};

}  // namespace scream::receiver
