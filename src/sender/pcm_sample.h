// Little-endian integer PCM samples of 16, 24 (packed) and 32 bit, as the wire carries them.
#pragma once

#include <cstdint>

namespace scream::sender {

// Full scale of a signed sample of `bits` bits (32767 for 16 bit).
constexpr int64_t fullScale(uint32_t bits) {
  return (int64_t{1} << (bits - 1)) - 1;
}

inline void writeSample(int32_t value, uint32_t bytesPerSample, uint8_t* out) {
  const uint32_t u = static_cast<uint32_t>(value);
  for (uint32_t i = 0; i < bytesPerSample; ++i) out[i] = static_cast<uint8_t>(u >> (8 * i));
}

}  // namespace scream::sender
