// Validation of received datagrams. Everything that arrives from the network passes through
// parsePacket() before any other code looks at it.
#pragma once

#include "header.h"

namespace scream::protocol {

// Why a datagram was rejected; one counter per value in the receiver's stats.
enum class PacketError : uint8_t {
  kOk = 0,
  kTooShort,          // fewer bytes than the 5-byte header
  kBadRateMarker,     // multiplier 0
  kBadBits,           // not 16, 24 or 32
  kNoChannels,        // channels == 0
  kTooManyChannels,   // channels > 8
  kEmptyPayload,      // a header and no PCM
};
inline constexpr size_t kPacketErrorCount = 7;

const char* describe(PacketError error);

struct Packet {
  Format format;
  const uint8_t* pcm = nullptr;  // points into the datagram that was parsed
  size_t pcmBytes = 0;           // any length: PCM is a byte stream, frames may straddle packets
};

PacketError parsePacket(const uint8_t* datagram, size_t size, Packet* packet);

}  // namespace scream::protocol
