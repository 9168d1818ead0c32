// The probe signal of TESTING.md: channel 0 a continuous 997 Hz sine at -6 dBFS; channel 1
// silent except for a 10 ms 3 kHz burst at -6 dBFS about once per second (a latency marker);
// other channels silent.
//
// Marker n starts at frame rate / 2 + n * rate + shift(n) * rate / 100, shift(n) a fixed
// pseudo-random number in [-30, 30]: markers are 0.4 to 1.6 s apart and never periodic, so a
// recording can be matched to the sent markers without knowing the latency (at a fixed period it
// is ambiguous by whole periods). Its samples are A * cos(2 pi 3000 t), so the first frame of a
// marker is at full burst amplitude: an onset a receiver can time exactly.
// 997 Hz is prime to every supported rate, so the tone visits many sample phases.
#pragma once

#include "sender/source.h"

namespace scream::sender {

class ToneSource : public Source {
 public:
  static constexpr uint32_t kToneHz = 997;
  static constexpr uint32_t kMarkerHz = 3000;

  explicit ToneSource(const protocol::Format& format);

  const protocol::Format& format() const override { return format_; }
  size_t read(uint8_t* out, size_t frames) override;
  std::string describe() const override { return "tone"; }
  uint64_t nextMarker(uint64_t frame) const override;

  // The frame where marker `n` starts, and how many frames a burst lasts.
  uint64_t markerFrame(uint64_t n) const;
  uint32_t markerFrames() const { return format_.sampleRate / 100; }

 private:
  protocol::Format format_;
  uint64_t frame_ = 0;       // next frame to generate
  uint64_t nextMarker_ = 0;  // the first marker not yet over at frame_
};

}  // namespace scream::sender
