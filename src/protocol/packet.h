// Validation of received datagrams. Everything that arrives from the network passes through
// parsePacket() before any other code looks at it. The header codec (header.h) reads any header
// the wire can represent; this is where the receiver's policy lives: only what a Scream sender can
// mean is played (README.md, "Using it"), so a malformed datagram never becomes a stream, never
// takes the source lock and never reaches the speakers.
#pragma once

#include "header.h"

namespace scream::protocol {

// Why a datagram was rejected; one counter per value in the receiver's stats. Checked in this
// order, so a datagram with several faults is counted under the first.
enum class PacketError : uint8_t {
  kOk = 0,
  kTooShort,            // fewer bytes than the 5-byte header
  kBadRateMarker,       // multiplier 0
  kBadBits,             // not 16, 24 or 32
  kNoChannels,          // channels == 0
  kTooManyChannels,     // channels > 8
  kEmptyPayload,        // a header and no PCM
  kUnsupportedRate,     // a multiplier other than 1, 2 or 4 (e.g. 0xFF: 5,600,700 Hz)
  kPartialFrame,        // PCM, but less than one whole frame
};
inline constexpr size_t kPacketErrorCount = 9;

const char* describe(PacketError error);

// The rates a Scream sender uses: 44.1, 88.2, 176.4, 48, 96 and 192 kHz (markers 0x81, 0x82,
// 0x84, 0x01, 0x02, 0x04). Other multipliers fit the 7-bit field but no driver sends them.
bool isScreamRateMarker(uint8_t marker);

struct Packet {
  Format format;
  const uint8_t* pcm = nullptr;  // points into the datagram that was parsed
  // At least one frame; otherwise any length: PCM is a byte stream, frames may straddle packets.
  size_t pcmBytes = 0;
};

// The packet is filled in only when the result is kOk.
PacketError parsePacket(const uint8_t* datagram, size_t size, Packet* packet);

}  // namespace scream::protocol
