#include "packet.h"

namespace scream::protocol {

const char* describe(PacketError error) {
  switch (error) {
    case PacketError::kOk: return "ok";
    case PacketError::kTooShort: return "shorter than the 5-byte header";
    case PacketError::kBadRateMarker: return "rate marker with multiplier 0";
    case PacketError::kBadBits: return "bits per sample not 16, 24 or 32";
    case PacketError::kNoChannels: return "zero channels";
    case PacketError::kTooManyChannels: return "more than 8 channels";
    case PacketError::kEmptyPayload: return "no PCM after the header";
  }
  return "unknown packet error";
}

static PacketError fromFormatError(FormatError error) {
  switch (error) {
    case FormatError::kOk: return PacketError::kOk;
    case FormatError::kBitsUnsupported: return PacketError::kBadBits;
    case FormatError::kChannelsZero: return PacketError::kNoChannels;
    case FormatError::kChannelsTooMany: return PacketError::kTooManyChannels;
    // A decoded marker is always a multiple <= 127 of a base; only multiplier 0 remains.
    case FormatError::kRateMultiplierZero:
    case FormatError::kRateNotMultipleOfBase:
    case FormatError::kRateMultiplierTooLarge: return PacketError::kBadRateMarker;
  }
  return PacketError::kBadRateMarker;
}

PacketError parsePacket(const uint8_t* datagram, size_t size, Packet* packet) {
  if (datagram == nullptr || size < kHeaderBytes) return PacketError::kTooShort;
  Format format;
  const PacketError error = fromFormatError(decodeHeader(datagram, &format));
  if (error != PacketError::kOk) return error;
  if (size == kHeaderBytes) return PacketError::kEmptyPayload;
  packet->format = format;
  packet->pcm = datagram + kHeaderBytes;
  packet->pcmBytes = size - kHeaderBytes;
  return PacketError::kOk;
}

}  // namespace scream::protocol
