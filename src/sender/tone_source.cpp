#include "sender/tone_source.h"

#include <cmath>
#include <cstring>

#include "sender/pcm_sample.h"

namespace scream::sender {

namespace {
constexpr double kTwoPi = 6.283185307179586476925286766559;
constexpr int64_t kMaxShift = 30;  // hundredths of a second either way

// shift(n) of the header: a fixed integer hash of n (the same on every machine and run).
int64_t markerShift(uint64_t n) {
  uint32_t h = static_cast<uint32_t>(n + 1) * 2654435761u;
  h ^= h >> 15;
  h *= 0x2c1b3c6du;
  h ^= h >> 12;
  return static_cast<int64_t>(h % (2 * kMaxShift + 1)) - kMaxShift;
}
}  // namespace

ToneSource::ToneSource(const protocol::Format& format) : format_(format) {}

uint64_t ToneSource::markerFrame(uint64_t n) const {
  const int64_t rate = format_.sampleRate;
  return static_cast<uint64_t>(rate / 2 + static_cast<int64_t>(n) * rate + markerShift(n) * (rate / 100));
}

uint64_t ToneSource::nextMarker(uint64_t frame) const {
  const uint64_t rate = format_.sampleRate;
  // Marker n lies within 0.3 s of rate/2 + n * rate: start one before the nearest.
  uint64_t n = frame < rate / 2 ? 0 : (frame - rate / 2) / rate;
  n = n > 0 ? n - 1 : 0;
  while (markerFrame(n) < frame) ++n;
  return markerFrame(n);
}

size_t ToneSource::read(uint8_t* out, size_t frames) {
  const uint32_t bps = format_.bytesPerSample();
  const uint32_t bpf = format_.bytesPerFrame();
  const uint64_t rate = format_.sampleRate;
  const double amplitude = static_cast<double>(fullScale(format_.bitsPerSample)) / 2;  // -6 dBFS
  std::memset(out, 0, frames * bpf);
  for (size_t i = 0; i < frames; ++i, ++frame_) {
    uint8_t* f = out + i * bpf;
    // Phase reduced in integers first: exact however long the tone runs.
    const uint64_t tonePhase = (kToneHz * frame_) % rate;
    const double tone = amplitude * std::sin(kTwoPi * static_cast<double>(tonePhase) / rate);
    writeSample(static_cast<int32_t>(std::lround(tone)), bps, f);
    if (format_.channels < 2) continue;
    while (markerFrame(nextMarker_) + markerFrames() <= frame_) ++nextMarker_;
    if (frame_ >= markerFrame(nextMarker_)) {
      const uint64_t intoMarker = frame_ - markerFrame(nextMarker_);
      const uint64_t markerPhase = (kMarkerHz * intoMarker) % rate;
      const double burst = amplitude * std::cos(kTwoPi * static_cast<double>(markerPhase) / rate);
      writeSample(static_cast<int32_t>(std::lround(burst)), bps, f + bps);
    }
  }
  return frames;
}

}  // namespace scream::sender
