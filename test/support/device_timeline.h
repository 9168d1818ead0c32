// When each recorded frame played, in CLOCK_MONOTONIC, from a recorder's per-read stamps.
//
// A device's clock is not CLOCK_MONOTONIC: a PulseAudio null sink runs up to a few hundred ppm
// off it (it advances by whole microseconds per chunk), a real card's crystal is off too. One
// origin for a whole recording (frame0 + frame / nominal rate) therefore turns a flat latency
// into a slope of ppm * 60 ms per minute. Instead each frame is placed by the stamps of the
// reads around it, and the device's rate against CLOCK_MONOTONIC is measured from all of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace scream::testing {

// One read of the device: recorded frame `frame` played at CLOCK_MONOTONIC `ns`. Noisy: a
// reader thread that was stalled stamps late, a server's timing estimate wobbles.
struct DeviceStamp {
  double frame;
  double ns;
};

class DeviceTimeline {
 public:
  DeviceTimeline() = default;
  // `stamps` in recording order (frames ascending); `nominalRate` the stream's rate.
  DeviceTimeline(std::vector<DeviceStamp> stamps, uint32_t nominalRate);

  bool empty() const { return stamps_.empty(); }
  size_t stamps() const { return stamps_.size(); }
  // CLOCK_MONOTONIC ns at which recorded `frame` played: the median of the stamps within
  // kWindowSeconds of it (at least 9), each carried to `frame` at the device's measured rate.
  double playedNs(double frame) const;
  // The recorded frame (fractional) that played at CLOCK_MONOTONIC `ns`: playedNs inverted.
  double frameAt(double ns) const;
  // The device clock against CLOCK_MONOTONIC in ppm (+: more frames per second than nominal),
  // from the median slope between robust points (device_timeline.cpp says how). 0 for
  // recordings under a second.
  double clockPpm() const { return ppm_; }
  // Seconds of recording the stamps span (how much the ppm figure rests on).
  double spanSeconds() const;

  // What one origin at the nominal rate makes of the same stamps (the median of ns - frame /
  // rate): the instrument before issue 16, for the calibration's comparison only.
  DeviceTimeline oneOrigin() const;

  static constexpr double kWindowSeconds = 0.5;

 private:
  std::vector<DeviceStamp> stamps_;
  uint32_t rate_ = 48000;
  double nsPerFrame_ = 0;  // measured: 1e9 / (nominal rate * (1 + ppm))
  double ppm_ = 0;
};

}  // namespace scream::testing
