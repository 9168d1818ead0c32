#include "sender/tone_source.h"

#include <cmath>
#include <cstring>

#include "sender/pcm_sample.h"

namespace scream::sender {

namespace {
constexpr double kTwoPi = 6.283185307179586476925286766559;
}

ToneSource::ToneSource(const protocol::Format& format) : format_(format) {}

uint64_t ToneSource::nextMarker(uint64_t frame) const {
  const uint64_t first = markerFrame(0);
  if (frame <= first) return first;
  const uint64_t rate = format_.sampleRate;
  return markerFrame((frame - first + rate - 1) / rate);
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
    if (format_.channels < 2 || frame_ < markerFrame(0)) continue;
    const uint64_t intoMarker = (frame_ - markerFrame(0)) % rate;
    if (intoMarker < markerFrames()) {
      const uint64_t markerPhase = (kMarkerHz * intoMarker) % rate;
      const double burst = amplitude * std::cos(kTwoPi * static_cast<double>(markerPhase) / rate);
      writeSample(static_cast<int32_t>(std::lround(burst)), bps, f + bps);
    }
  }
  return frames;
}

}  // namespace scream::sender
