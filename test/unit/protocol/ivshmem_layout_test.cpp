#include "protocol/ivshmem_layout.h"

#include <gtest/gtest.h>

#include <cstring>

namespace scream::protocol {
namespace {

// The layout as Scream's Windows driver writes it: bytes at fixed offsets, little endian.
TEST(IvshmemLayout, ReadsBytesAtTheDocumentedOffsets) {
  uint8_t raw[24] = {};
  const uint8_t magic[4] = {0x14, 0x20, 0x11, 0x11};
  std::memcpy(raw + 0, magic, 4);
  raw[4] = 0x34, raw[5] = 0x12;                               // writeIdx 0x1234
  raw[6] = 24;                                                // offset
  raw[8] = 0x20, raw[9] = 0x00;                               // maxChunks 32
  raw[12] = 0x00, raw[13] = 0x0F, raw[14] = 0x00, raw[15] = 0x00;  // chunkSize 3840
  raw[16] = 0x01, raw[17] = 16, raw[18] = 2;                  // 48 kHz, 16 bit, stereo
  raw[20] = 0x03, raw[21] = 0x00;                             // mask
  IvshmemHeader h;
  std::memcpy(&h, raw, sizeof h);
  EXPECT_EQ(h.magic, kIvshmemMagic);
  EXPECT_EQ(h.writeIdx, 0x1234);
  EXPECT_EQ(h.offset, kIvshmemChunkAreaOffset);
  EXPECT_EQ(h.maxChunks, 32);
  EXPECT_EQ(h.chunkSize, 3840u);
  EXPECT_EQ(h.sampleRate, 0x01);
  EXPECT_EQ(h.bitsPerSample, 16);
  EXPECT_EQ(h.channels, 2);
  EXPECT_EQ(h.channelMap, 0x3);
}

}  // namespace
}  // namespace scream::protocol
