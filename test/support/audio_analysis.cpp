#include "audio_analysis.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace scream::testing {

std::vector<float> WavData::channel(unsigned index) const {
  std::vector<float> out(frames());
  for (size_t f = 0; f < out.size(); ++f) out[f] = samples[f * channels + index];
  return out;
}

namespace {

uint32_t le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t{p[3]} << 24; }
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

// RBJ notch biquad.
struct Notch {
  double b0, b1, b2, a1, a2, x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  Notch(double f0, double q, double rate) {
    const double w = 2 * M_PI * f0 / rate, alpha = std::sin(w) / (2 * q), a0 = 1 + alpha;
    b0 = 1 / a0;
    b1 = -2 * std::cos(w) / a0;
    b2 = 1 / a0;
    a1 = -2 * std::cos(w) / a0;
    a2 = (1 - alpha) / a0;
  }
  double step(double x) {
    const double y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1, x1 = x, y2 = y1, y1 = y;
    return y;
  }
};

double dbfs(double rms) { return 20 * std::log10(std::max(rms, 1e-10) * std::sqrt(2.0)); }

}  // namespace

WavData readWav(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) || std::memcmp(&bytes[8], "WAVE", 4)) {
    throw std::runtime_error(path + " is not a WAV file");
  }
  WavData wav;
  uint16_t format = 0, bits = 0;
  size_t pos = 12;
  while (pos + 8 <= bytes.size()) {
    const uint32_t size = le32(&bytes[pos + 4]);
    const uint8_t* body = &bytes[pos + 8];
    const size_t avail = std::min<size_t>(size, bytes.size() - pos - 8);
    if (!std::memcmp(&bytes[pos], "fmt ", 4)) {
      format = le16(body);
      wav.channels = le16(body + 2);
      wav.sampleRate = le32(body + 4);
      bits = le16(body + 14);
      if (format == 0xFFFE) format = le16(body + 24);  // extensible: subformat's first two bytes
    } else if (!std::memcmp(&bytes[pos], "data", 4)) {
      const size_t bytesPerSample = bits / 8;
      const size_t n = avail / bytesPerSample;
      wav.samples.resize(n);
      for (size_t i = 0; i < n; ++i) {
        const uint8_t* s = body + i * bytesPerSample;
        if (format == 3 && bits == 32) {
          std::memcpy(&wav.samples[i], s, 4);
        } else if (format == 1 && bits == 16) {
          wav.samples[i] = static_cast<int16_t>(le16(s)) / 32768.0f;
        } else if (format == 1 && bits == 24) {
          const int32_t v = static_cast<int32_t>(uint32_t{s[0]} << 8 | uint32_t{s[1]} << 16 | uint32_t{s[2]} << 24);
          wav.samples[i] = static_cast<float>(v / 2147483648.0);
        } else if (format == 1 && bits == 32) {
          wav.samples[i] = static_cast<float>(static_cast<int32_t>(le32(s)) / 2147483648.0);
        } else {
          throw std::runtime_error(path + ": unsupported WAV sample format");
        }
      }
    }
    pos += 8 + size + (size & 1);
  }
  if (wav.channels == 0 || wav.sampleRate == 0) throw std::runtime_error(path + ": no fmt chunk");
  return wav;
}

GlitchReport detectGlitches(const std::vector<float>& mono, uint32_t rate, double fromSeconds,
                            double toSeconds, double toneHz) {
  GlitchReport report;
  const size_t window = rate / 200;  // 5 ms
  const size_t from = static_cast<size_t>(std::max(0.0, fromSeconds) * rate);
  const size_t to = std::min(mono.size(), static_cast<size_t>(toSeconds * rate));
  if (to <= from + 20 * window) return report;
  // Q = 10: at +-0.2 % (2 Hz) off-centre each notch still takes ~28 dB, two take ~56 dB.
  Notch n1(toneHz, 10, rate), n2(toneHz, 10, rate);
  // Settle the filters on the 50 ms before the analysed range (or the range's own start).
  const size_t settle = std::min<size_t>(from, rate / 20);
  for (size_t i = from - settle; i < from; ++i) n2.step(n1.step(mono[i]));
  const size_t skip = settle == 0 ? rate / 20 : 0;

  std::vector<double> residual, tone;
  for (size_t w = from; w + window <= to; w += window) {
    double r = 0, t = 0;
    for (size_t i = w; i < w + window; ++i) {
      const double y = n2.step(n1.step(mono[i]));
      r += y * y;
      t += double{mono[i]} * mono[i];
    }
    residual.push_back(std::sqrt(r / window));
    tone.push_back(std::sqrt(t / window));
  }
  std::vector<double> sorted = tone;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const double median = sorted[sorted.size() / 2];
  report.toneRmsDbfs = dbfs(median);
  const size_t skipWindows = skip / window;
  bool inEvent = false;
  for (size_t i = skipWindows; i < residual.size(); ++i) {
    const bool bad = dbfs(residual[i]) > -40.0 || tone[i] < median * 0.5;
    if (bad) {
      report.glitchMs += 5.0;
      if (!inEvent) {
        ++report.events;
        report.list.push_back({(from + i * window) / double(rate), 0});
      }
      report.list.back().durationMs += 5.0;
    }
    inEvent = bad;
  }
  return report;
}

std::vector<double> findMarkerOnsets(const std::vector<float>& mono, uint32_t rate) {
  std::vector<double> onsets;
  const size_t window = rate / 1000;
  bool active = false;
  size_t quietWindows = 100;
  for (size_t w = 0; w + window <= mono.size(); w += window) {
    float peak = 0;
    for (size_t i = w; i < w + window; ++i) peak = std::max(peak, std::fabs(mono[i]));
    if (!active && peak > 0.05f && quietWindows >= 100) {
      // Refine to the first sample above threshold inside this window.
      size_t i = w;
      while (i < w + window && std::fabs(mono[i]) <= 0.05f) ++i;
      onsets.push_back(static_cast<double>(i));
      active = true;
    }
    if (peak > 0.05f) {
      quietWindows = 0;
    } else {
      ++quietWindows;
      if (quietWindows >= 5) active = false;
    }
  }
  return onsets;
}

long firstSound(const std::vector<float>& mono, float threshold) {
  for (size_t i = 0; i < mono.size(); ++i) {
    if (std::fabs(mono[i]) > threshold) return static_cast<long>(i);
  }
  return -1;
}

double tonePower(const std::vector<float>& x, size_t from, size_t to, double hz, double rate) {
  const double w = 2 * M_PI * hz / rate, c = 2 * std::cos(w);
  double s1 = 0, s2 = 0;
  for (size_t i = from; i < to; ++i) {
    const double s0 = x[i] + c * s1 - s2;
    s2 = s1, s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / static_cast<double>(to - from);
}

}  // namespace scream::testing
