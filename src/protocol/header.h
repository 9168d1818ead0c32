// The 5-byte Scream datagram header, byte-for-byte as the upstream driver writes it:
//   [0] rate marker  [1] bits per sample  [2] channels  [3..4] channel mask, little endian.
#pragma once

#include "format.h"

namespace scream::protocol {

inline constexpr size_t kHeaderBytes = 5;
inline constexpr size_t kPayloadBytes = 1152;  // PCM bytes in every full datagram
inline constexpr size_t kDatagramBytes = kHeaderBytes + kPayloadBytes;

// Writes the header for a valid format; on error nothing is written.
FormatError encodeHeader(const Format& format, uint8_t out[kHeaderBytes]);

// Reads a header; the format is filled in only when it is playable.
FormatError decodeHeader(const uint8_t in[kHeaderBytes], Format* format);

}  // namespace scream::protocol
