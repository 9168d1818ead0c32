#include "format.h"

namespace scream::protocol {

const char* describe(FormatError error) {
  switch (error) {
    case FormatError::kOk: return "ok";
    case FormatError::kRateNotMultipleOfBase: return "sample rate is not a multiple of 44100 or 48000";
    case FormatError::kRateMultiplierZero: return "sample rate multiplier is 0";
    case FormatError::kRateMultiplierTooLarge: return "sample rate multiplier is larger than 127";
    case FormatError::kBitsUnsupported: return "bits per sample must be 16, 24 or 32";
    case FormatError::kChannelsZero: return "channel count is 0";
    case FormatError::kChannelsTooMany: return "channel count is larger than 8";
  }
  return "unknown format error";
}

FormatError encodeRateMarker(uint32_t sampleRate, uint8_t* marker) {
  // No rate below 128 * 44100 is a multiple of both bases (lcm = 7056000), so the order of the
  // two checks cannot change a valid result.
  uint32_t base;
  uint8_t baseBit;
  if (sampleRate % kRateBase44k == 0) {
    base = kRateBase44k;
    baseBit = 0x80;
  } else if (sampleRate % kRateBase48k == 0) {
    base = kRateBase48k;
    baseBit = 0x00;
  } else {
    return FormatError::kRateNotMultipleOfBase;
  }
  const uint32_t multiplier = sampleRate / base;
  if (multiplier == 0) return FormatError::kRateMultiplierZero;
  if (multiplier > kMaxRateMultiplier) return FormatError::kRateMultiplierTooLarge;
  *marker = static_cast<uint8_t>(baseBit | multiplier);
  return FormatError::kOk;
}

uint32_t decodeRateMarker(uint8_t marker) {
  const uint32_t base = (marker & 0x80) ? kRateBase44k : kRateBase48k;
  return base * (marker & 0x7Fu);
}

static FormatError validateBitsAndChannels(uint8_t bits, uint8_t channels) {
  if (bits != 16 && bits != 24 && bits != 32) return FormatError::kBitsUnsupported;
  if (channels == 0) return FormatError::kChannelsZero;
  if (channels > kMaxChannels) return FormatError::kChannelsTooMany;
  return FormatError::kOk;
}

FormatError validateFormat(const Format& format) {
  uint8_t marker = 0;
  const FormatError rate = encodeRateMarker(format.sampleRate, &marker);
  if (rate != FormatError::kOk) return rate;
  return validateBitsAndChannels(format.bitsPerSample, format.channels);
}

}  // namespace scream::protocol
