#include "pcm_convert.h"

#include <cmath>
#include <cstring>

namespace scream::receiver {

namespace {

constexpr float kScale16 = 1.0f / 32768.0f;
constexpr float kScale24 = 1.0f / 8388608.0f;
constexpr float kScale32 = 1.0f / 2147483648.0f;

// Scales, clips and rounds in double: exact for every int32 value, so the 32-bit path clips at
// precisely INT32_MAX instead of overflowing when a float rounds up to 2^31.
inline int32_t toInt(float x, double scale, double lo, double hi) noexcept {
  if (!(x == x)) return 0;  // NaN
  const double v = std::nearbyint(static_cast<double>(x) * scale);
  return static_cast<int32_t>(v < lo ? lo : (v > hi ? hi : v));
}

}  // namespace

size_t bytesPerSample(SampleFormat format) {
  switch (format) {
    case SampleFormat::kS16LE: return 2;
    case SampleFormat::kS24_3LE: return 3;
    case SampleFormat::kS32LE: return 4;
    case SampleFormat::kFloat32LE: return 4;
  }
  return 4;
}

void pcmToFloat(const uint8_t* in, size_t samples, uint8_t bitsPerSample, float* out) noexcept {
  switch (bitsPerSample) {
    case 16:
      for (size_t i = 0; i < samples; ++i, in += 2) {
        const auto v = static_cast<int16_t>(in[0] | in[1] << 8);
        out[i] = static_cast<float>(v) * kScale16;
      }
      return;
    case 24:
      for (size_t i = 0; i < samples; ++i, in += 3) {
        // Assemble in the top 24 bits of a uint32, then an arithmetic shift sign-extends.
        const uint32_t u = uint32_t{in[0]} << 8 | uint32_t{in[1]} << 16 | uint32_t{in[2]} << 24;
        out[i] = static_cast<float>(static_cast<int32_t>(u) >> 8) * kScale24;
      }
      return;
    case 32:
      for (size_t i = 0; i < samples; ++i, in += 4) {
        const uint32_t u =
            uint32_t{in[0]} | uint32_t{in[1]} << 8 | uint32_t{in[2]} << 16 | uint32_t{in[3]} << 24;
        out[i] = static_cast<float>(static_cast<int32_t>(u)) * kScale32;
      }
      return;
    default:
      for (size_t i = 0; i < samples; ++i) out[i] = 0.0f;
  }
}

void floatToPcm(const float* in, size_t samples, SampleFormat format, uint8_t* out) noexcept {
  switch (format) {
    case SampleFormat::kS16LE:
      for (size_t i = 0; i < samples; ++i, out += 2) {
        const auto v = static_cast<uint32_t>(toInt(in[i], 32768.0, -32768.0, 32767.0));
        out[0] = static_cast<uint8_t>(v);
        out[1] = static_cast<uint8_t>(v >> 8);
      }
      return;
    case SampleFormat::kS24_3LE:
      for (size_t i = 0; i < samples; ++i, out += 3) {
        const auto v = static_cast<uint32_t>(toInt(in[i], 8388608.0, -8388608.0, 8388607.0));
        out[0] = static_cast<uint8_t>(v);
        out[1] = static_cast<uint8_t>(v >> 8);
        out[2] = static_cast<uint8_t>(v >> 16);
      }
      return;
    case SampleFormat::kS32LE:
      for (size_t i = 0; i < samples; ++i, out += 4) {
        const auto v =
            static_cast<uint32_t>(toInt(in[i], 2147483648.0, -2147483648.0, 2147483647.0));
        out[0] = static_cast<uint8_t>(v);
        out[1] = static_cast<uint8_t>(v >> 8);
        out[2] = static_cast<uint8_t>(v >> 16);
        out[3] = static_cast<uint8_t>(v >> 24);
      }
      return;
    case SampleFormat::kFloat32LE:
      for (size_t i = 0; i < samples; ++i, out += 4) {
        float x = in[i];
        x = !(x == x) ? 0.0f : (x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x));
        uint32_t u;
        std::memcpy(&u, &x, sizeof u);
        out[0] = static_cast<uint8_t>(u);
        out[1] = static_cast<uint8_t>(u >> 8);
        out[2] = static_cast<uint8_t>(u >> 16);
        out[3] = static_cast<uint8_t>(u >> 24);
      }
      return;
  }
}

}  // namespace scream::receiver
