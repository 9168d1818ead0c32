// Audio format carried by a Scream stream, and the rules that make one playable.
//
// Freestanding: this folder is compiled into the Windows kernel driver as well, so it uses only
// <stdint.h>/<stddef.h>/<string.h>, no heap, no exceptions, no RTTI and no static constructors.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace scream::protocol {

inline constexpr uint32_t kRateBase44k = 44100;
inline constexpr uint32_t kRateBase48k = 48000;
inline constexpr uint32_t kMaxRateMultiplier = 127;  // 7 bits in the rate marker
inline constexpr uint8_t kMaxChannels = 8;
inline constexpr uint32_t kMaxBytesPerFrame = kMaxChannels * 4;

// One value per way a format can be wrong, so callers can report exactly what was rejected.
enum class FormatError : uint8_t {
  kOk = 0,
  kRateNotMultipleOfBase,   // not a multiple of 44100 or 48000
  kRateMultiplierZero,      // rate 0 / rate marker with multiplier 0
  kRateMultiplierTooLarge,  // multiplier > 127 does not fit the 7-bit field
  kBitsUnsupported,         // only 16, 24 (packed) and 32 bit
  kChannelsZero,
  kChannelsTooMany,  // more than 8
};

const char* describe(FormatError error);

struct Format {
  uint32_t sampleRate = 0;
  uint8_t bitsPerSample = 0;
  uint8_t channels = 0;
  // Low 16 bits of the KSAUDIO dwChannelMask: all the wire carries.
  uint16_t channelMask = 0;

  constexpr uint32_t bytesPerSample() const { return bitsPerSample / 8u; }
  constexpr uint32_t bytesPerFrame() const { return bytesPerSample() * channels; }
};

constexpr bool operator==(const Format& a, const Format& b) {
  return a.sampleRate == b.sampleRate && a.bitsPerSample == b.bitsPerSample &&
         a.channels == b.channels && a.channelMask == b.channelMask;
}
constexpr bool operator!=(const Format& a, const Format& b) { return !(a == b); }

// Checks rate, bits and channels in that order and returns the first problem found.
FormatError validateFormat(const Format& format);

// Rate marker (header byte 0): bit 7 = base (0: 48000, 1: 44100), bits 0-6 = multiplier.
FormatError encodeRateMarker(uint32_t sampleRate, uint8_t* marker);
// Returns the sample rate, or 0 for a marker with multiplier 0 (not playable).
uint32_t decodeRateMarker(uint8_t marker);

}  // namespace scream::protocol
