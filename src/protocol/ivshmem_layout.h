// IVSHMEM shared-memory layout used by Scream between a Windows guest and its Linux host.
// A 24-byte header (natural alignment) followed by a ring of equally sized chunks:
// chunk i lives at `offset + i * chunkSize`. The writer bumps writeIdx after copying a chunk and
// zeroes the header when the stream ends.
#pragma once

#include <stddef.h>

#include "format.h"

namespace scream::protocol {

inline constexpr uint32_t kIvshmemMagic = 0x11112014;

struct IvshmemHeader {
  uint32_t magic;       // kIvshmemMagic while a writer is active
  uint16_t writeIdx;    // index of the last complete chunk
  uint8_t offset;       // start of the chunk area (24)
  uint8_t reserved0;
  uint16_t maxChunks;
  uint16_t reserved1;
  uint32_t chunkSize;   // bytes per chunk (20 ms of audio)
  uint8_t sampleRate;   // rate marker, as header byte 0
  uint8_t bitsPerSample;
  uint8_t channels;
  uint8_t reserved2;
  uint16_t channelMap;
  uint16_t reserved3;
};

static_assert(sizeof(IvshmemHeader) == 24, "IVSHMEM header is 24 bytes");
static_assert(offsetof(IvshmemHeader, magic) == 0, "magic @0");
static_assert(offsetof(IvshmemHeader, writeIdx) == 4, "writeIdx @4");
static_assert(offsetof(IvshmemHeader, offset) == 6, "offset @6");
static_assert(offsetof(IvshmemHeader, maxChunks) == 8, "maxChunks @8");
static_assert(offsetof(IvshmemHeader, chunkSize) == 12, "chunkSize @12");
static_assert(offsetof(IvshmemHeader, sampleRate) == 16, "sampleRate @16");
static_assert(offsetof(IvshmemHeader, bitsPerSample) == 17, "bits @17");
static_assert(offsetof(IvshmemHeader, channels) == 18, "channels @18");
static_assert(offsetof(IvshmemHeader, channelMap) == 20, "channelMap @20");

inline constexpr uint8_t kIvshmemChunkAreaOffset = sizeof(IvshmemHeader);

}  // namespace scream::protocol
