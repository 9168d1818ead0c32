#include "header.h"

namespace scream::protocol {

FormatError encodeHeader(const Format& format, uint8_t out[kHeaderBytes]) {
  const FormatError error = validateFormat(format);
  if (error != FormatError::kOk) return error;
  uint8_t marker = 0;
  encodeRateMarker(format.sampleRate, &marker);
  out[0] = marker;
  out[1] = format.bitsPerSample;
  out[2] = format.channels;
  out[3] = static_cast<uint8_t>(format.channelMask & 0xFFu);
  out[4] = static_cast<uint8_t>(format.channelMask >> 8);
  return FormatError::kOk;
}

FormatError decodeHeader(const uint8_t in[kHeaderBytes], Format* format) {
  Format decoded;
  decoded.sampleRate = decodeRateMarker(in[0]);  // 0 for multiplier 0: rejected below
  decoded.bitsPerSample = in[1];
  decoded.channels = in[2];
  decoded.channelMask = static_cast<uint16_t>(in[3] | (in[4] << 8));
  const FormatError error = validateFormat(decoded);
  if (error == FormatError::kOk) *format = decoded;
  return error;
}

}  // namespace scream::protocol
