// checkIvshmemHeader: each way a header written by someone else can be wrong is refused with its
// own reason, and a good one is read back in the reader's units.
#include <gtest/gtest.h>

#include "receivers/core/ivshmem_reader.h"

namespace scream::receiver {
namespace {

using protocol::IvshmemHeader;

constexpr size_t kChunk = 960 * 4;  // 20 ms of 48 kHz 16-bit stereo

IvshmemHeader goodHeader() {
  IvshmemHeader h{};
  h.magic = protocol::kIvshmemMagic;
  h.writeIdx = 3;
  h.offset = 24;
  h.maxChunks = 4;
  h.chunkSize = kChunk;
  h.sampleRate = 1;  // 48000 x 1
  h.bitsPerSample = 16;
  h.channels = 2;
  h.channelMap = 0x3;
  return h;
}

constexpr size_t kMapping = 24 + 4 * kChunk;

IvshmemHeaderError check(const IvshmemHeader& h, size_t mapping = kMapping) {
  IvshmemLayout layout;
  return checkIvshmemHeader(h, mapping, &layout);
}

TEST(IvshmemHeader, GoodHeaderGivesTheLayout) {
  IvshmemLayout layout;
  ASSERT_EQ(checkIvshmemHeader(goodHeader(), kMapping, &layout), IvshmemHeaderError::kOk);
  EXPECT_EQ(layout.format, (protocol::Format{48000, 16, 2, 0x3}));
  EXPECT_EQ(layout.offset, 24u);
  EXPECT_EQ(layout.chunkBytes, kChunk);
  EXPECT_EQ(layout.maxChunks, 4);
}

TEST(IvshmemHeader, LargerOffsetAndA44kMarkerAreFine) {
  IvshmemHeader h = goodHeader();
  h.offset = 64;
  h.sampleRate = 0x81;  // 44100 x 1
  IvshmemLayout layout;
  ASSERT_EQ(checkIvshmemHeader(h, 64 + 4 * kChunk, &layout), IvshmemHeaderError::kOk);
  EXPECT_EQ(layout.format.sampleRate, 44100u);
  EXPECT_EQ(check(h, 64 + 4 * kChunk - 1), IvshmemHeaderError::kBeyondMapping);
}

TEST(IvshmemHeader, EachDefectHasItsReason) {
  EXPECT_EQ(check(goodHeader(), 23), IvshmemHeaderError::kTruncated);
  IvshmemHeader h = goodHeader();
  h.offset = 23;
  EXPECT_EQ(check(h), IvshmemHeaderError::kBadOffset);
  h = goodHeader();
  h.sampleRate = 0x80;  // multiplier 0
  EXPECT_EQ(check(h), IvshmemHeaderError::kBadFormat);
  h = goodHeader();
  h.channels = 0;  // upstream's reader busy-spins on this one
  EXPECT_EQ(check(h), IvshmemHeaderError::kBadFormat);
  h = goodHeader();
  h.bitsPerSample = 8;
  EXPECT_EQ(check(h), IvshmemHeaderError::kBadFormat);
  h = goodHeader();
  h.chunkSize = kChunk + 2;  // half a frame
  EXPECT_EQ(check(h, 24 + 4 * (kChunk + 2)), IvshmemHeaderError::kChunkNotFrames);
  h.chunkSize = 0;
  EXPECT_EQ(check(h), IvshmemHeaderError::kChunkNotFrames);
  h = goodHeader();
  h.maxChunks = 1;
  h.writeIdx = 0;
  EXPECT_EQ(check(h), IvshmemHeaderError::kTooFewChunks);
  h = goodHeader();
  EXPECT_EQ(check(h, kMapping - 1), IvshmemHeaderError::kBeyondMapping);
  h.writeIdx = 4;
  EXPECT_EQ(check(h), IvshmemHeaderError::kWriteIdxOutOfRange);
}

TEST(IvshmemHeader, HugeChunkCountsDoNotOverflow) {
  IvshmemHeader h = goodHeader();
  h.maxChunks = 0xFFFF;
  h.chunkSize = 0xFFFFFFFC;  // a multiple of 4-byte frames; 65535 of them is ~2^48 bytes
  EXPECT_EQ(check(h, SIZE_MAX / 2), IvshmemHeaderError::kOk);
  EXPECT_EQ(check(h, size_t{1} << 40), IvshmemHeaderError::kBeyondMapping);
}

TEST(IvshmemHeader, EveryReasonIsDescribed) {
  for (int e = 0; e <= static_cast<int>(IvshmemHeaderError::kWriteIdxOutOfRange); ++e) {
    EXPECT_STRNE(describe(static_cast<IvshmemHeaderError>(e)), "unknown");
  }
}

}  // namespace
}  // namespace scream::receiver
