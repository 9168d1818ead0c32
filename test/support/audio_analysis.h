// Audio quality measurement of ../shared/TESTING.md, shared by integration tests and benchmarks:
// WAV reading, glitch detection on the 997 Hz probe tone, latency-marker (3 kHz burst) onsets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace scream::testing {

struct WavData {
  uint32_t sampleRate = 0;
  unsigned channels = 0;
  std::vector<float> samples;  // interleaved, full scale = 1.0
  size_t frames() const { return channels ? samples.size() / channels : 0; }
  std::vector<float> channel(unsigned index) const;
};

// Reads PCM 16/24/32-bit and float WAV files (plain or extensible). Throws on anything else.
WavData readWav(const std::string& path);

struct GlitchEvent {
  double startSeconds;
  double durationMs;
};

struct GlitchReport {
  size_t events = 0;
  double glitchMs = 0;
  double toneRmsDbfs = -200;  // median window RMS of the tone
  std::vector<GlitchEvent> list;
};

// Notches out the probe tone (two cascaded notches, wide enough to follow a +-0.2 % resampled
// frequency) and takes the residual RMS in 5 ms windows: a window above -40 dBFS, or one where
// the tone's RMS falls 6 dB below its median (a dropout or fade), is a glitch; adjacent windows
// are one event. Analysis covers [fromSeconds, toSeconds).
GlitchReport detectGlitches(const std::vector<float>& mono, uint32_t rate, double fromSeconds,
                            double toSeconds, double toneHz = 997.0);

// Frame positions where a 3 kHz marker burst starts (energy in 1 ms windows rising from quiet).
std::vector<double> findMarkerOnsets(const std::vector<float>& mono, uint32_t rate);

// The first frame whose magnitude exceeds `threshold` (where audio starts), or -1.
long firstSound(const std::vector<float>& mono, float threshold = 0.01f);

// Power of `hz` in x[from, to) (Goertzel), relative units: compare it with other frequencies.
double tonePower(const std::vector<float>& x, size_t from, size_t to, double hz, double rate);

}  // namespace scream::testing
