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
    case PacketError::kUnsupportedRate: return "rate not 44.1, 48, 88.2, 96, 176.4 or 192 kHz";
    case PacketError::kPartialFrame: return "PCM shorter than one frame";
  }
  return "unknown packet error";
}

bool isScreamRateMarker(uint8_t marker) {
  const uint8_t multiplier = marker & 0x7Fu;
  return multiplier == 1 || multiplier == 2 || multiplier == 4;
}

namespace {

PacketError fromFormatError(FormatError error) {
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

}  // namespace

PacketError parsePacket(const uint8_t* datagram, size_t size, Packet* packet) {
  if (datagram == nullptr || size < kHeaderBytes) return PacketError::kTooShort;
  Format format;
  const PacketError error = fromFormatError(decodeHeader(datagram, &format));
  if (error != PacketError::kOk) return error;
  if (size == kHeaderBytes) return PacketError::kEmptyPayload;
  if (!isScreamRateMarker(datagram[0])) return PacketError::kUnsupportedRate;
  // Every bit of the 16-bit mask names a speaker (channel_map.h), and set bits beyond the
  // channel count are ignored, as Windows documents for WAVEFORMATEXTENSIBLE: any mask is valid.
  const size_t pcmBytes = size - kHeaderBytes;
  if (pcmBytes < format.bytesPerFrame()) return PacketError::kPartialFrame;
  packet->format = format;
  packet->pcm = datagram + kHeaderBytes;
  packet->pcmBytes = pcmBytes;
  return PacketError::kOk;
}

}  // namespace scream::protocol
