#include "driver/core/ivshmem_ring_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "driver/core/spsc_record_ring.h"

namespace scream::driver {
namespace {

using protocol::IvshmemHeader;

IvshmemHeader headerOf(const std::vector<uint8_t>& memory) {
  IvshmemHeader h;
  std::memcpy(&h, memory.data(), sizeof(h));
  return h;
}

std::vector<uint8_t> bytesFrom(uint32_t first, size_t count) {
  std::vector<uint8_t> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<uint8_t>(first + i * 7);
  return out;
}

// 4-byte aligned memory of `bytes`, filled with a pattern a writer must overwrite.
struct Memory {
  explicit Memory(size_t size) : words((size + 3) / 4, 0xEEEEEEEE), bytes(size) {}
  uint8_t* data() { return reinterpret_cast<uint8_t*>(words.data()); }
  std::vector<uint8_t> copy() { return {data(), data() + bytes}; }
  std::vector<uint32_t> words;
  size_t bytes;
};

TEST(IvshmemRingWriter, ChunkFramesForFiveAndTwentyMilliseconds) {
  EXPECT_EQ(IvshmemRingWriter::chunkFrames(48000, 5), 240u);
  EXPECT_EQ(IvshmemRingWriter::chunkFrames(44100, 5), 220u) << "220.5 rounds down";
  EXPECT_EQ(IvshmemRingWriter::chunkFrames(192000, 5), 960u);
  EXPECT_EQ(IvshmemRingWriter::chunkFrames(48000, 20), 960u) << "upstream's chunk";
  EXPECT_EQ(IvshmemRingWriter::chunkFrames(44100, 0), 1u);
}

// The header as COMPAT.md gives it: magic, writeIdx 0, offset 24, maxChunks as many as fit
// behind the header, chunkSize, rate marker, bits, channels, channel map; the rest zero.
TEST(IvshmemRingWriter, StartWritesTheHeaderInUpstreamsLayout) {
  Memory memory(1 << 20);
  IvshmemRingWriter writer;
  writer.attach(memory.data(), memory.bytes);
  ASSERT_EQ(writer.start({44100, 24, 6, 0x3F}, 220), IvshmemRingWriter::StartError::kOk);
  const std::vector<uint8_t> m = memory.copy();
  const IvshmemHeader h = headerOf(m);
  EXPECT_EQ(h.magic, 0x11112014u);
  EXPECT_EQ(h.writeIdx, 0);
  EXPECT_EQ(h.offset, 24);
  EXPECT_EQ(h.chunkSize, 220u * 18);
  EXPECT_EQ(h.maxChunks, ((1u << 20) - 24) / (220 * 18));
  EXPECT_EQ(h.sampleRate, 0x81);
  EXPECT_EQ(h.bitsPerSample, 24);
  EXPECT_EQ(h.channels, 6);
  EXPECT_EQ(h.channelMap, 0x3F);
  EXPECT_EQ(m[7], 0);  // the padding bytes are written too, as zero
  EXPECT_EQ(m[10], 0);
  EXPECT_EQ(m[11], 0);
  EXPECT_EQ(m[19], 0);
  EXPECT_EQ(m[22], 0);
  EXPECT_EQ(m[23], 0);
  EXPECT_EQ(writer.chunkBytes(), 220u * 18);
}

TEST(IvshmemRingWriter, RefusesWhatCannotWork) {
  Memory memory(24 + 2 * 960 - 1);
  IvshmemRingWriter writer;
  EXPECT_EQ(writer.start({48000, 16, 2, 3}, 240), IvshmemRingWriter::StartError::kNoMemory);
  writer.attach(memory.data(), memory.bytes);
  EXPECT_EQ(writer.start({48000, 16, 2, 3}, 240), IvshmemRingWriter::StartError::kTooSmall)
      << "only one chunk of 960 bytes fits";
  EXPECT_EQ(writer.start({22050, 16, 2, 3}, 240), IvshmemRingWriter::StartError::kBadFormat);
  EXPECT_EQ(writer.start({48000, 8, 2, 3}, 240), IvshmemRingWriter::StartError::kBadFormat);
  EXPECT_EQ(headerOf(memory.copy()).magic, 0xEEEEEEEEu) << "nothing published";
  EXPECT_FALSE(writer.started());
  writer.write(bytesFrom(0, 960).data(), 960);  // ignored while not started
  EXPECT_EQ(writer.published(), 0u);
}

TEST(IvshmemRingWriter, MaxChunksIsCappedAt65535) {
  Memory memory(24 + 70000 * 4);
  IvshmemRingWriter writer;
  writer.attach(memory.data(), memory.bytes);
  ASSERT_EQ(writer.start({48000, 16, 2, 3}, 1), IvshmemRingWriter::StartError::kOk);
  EXPECT_EQ(headerOf(memory.copy()).maxChunks, 65535);
}

// Chunk i at 24 + i * chunkSize; the first chunk written is chunk 1; writeIdx names the last
// complete chunk; a partial chunk is not published; the ring wraps to chunk 0.
TEST(IvshmemRingWriter, ChunksAreWrittenInOrderAndWrap) {
  const size_t chunk = 240 * 4;  // 5 ms of 48 kHz 16-bit stereo
  Memory memory(24 + 3 * chunk + 100);
  IvshmemRingWriter writer;
  writer.attach(memory.data(), memory.bytes);
  ASSERT_EQ(writer.start({48000, 16, 2, 3}, 240), IvshmemRingWriter::StartError::kOk);
  ASSERT_EQ(writer.maxChunks(), 3);
  const std::vector<uint8_t> pcm = bytesFrom(1, 5 * chunk + 10);
  // Odd write sizes: chunks do not end on writes.
  size_t at = 0;
  for (size_t step : {100, 1000, 7, 1500, 900}) {
    writer.write(pcm.data() + at, step);
    at += step;
  }
  ASSERT_EQ(at, 3507u);  // 3 chunks (2880) and 627 bytes
  std::vector<uint8_t> m = memory.copy();
  EXPECT_EQ(headerOf(m).writeIdx, 0) << "chunks 1, 2, 0 complete: the last is chunk 0";
  EXPECT_EQ(writer.published(), 3u);
  EXPECT_EQ(writer.pendingBytes(), 627u);
  EXPECT_EQ(std::memcmp(m.data() + 24 + 2 * chunk, pcm.data() + chunk, chunk), 0);
  EXPECT_EQ(std::memcmp(m.data() + 24 + 0 * chunk, pcm.data() + 2 * chunk, chunk), 0);
  EXPECT_EQ(std::memcmp(m.data() + 24 + 1 * chunk, pcm.data() + 3 * chunk, 627), 0)
      << "the partial chunk is being filled in place";
  EXPECT_EQ(std::memcmp(m.data() + 24 + 1 * chunk + 627, pcm.data() + 627, chunk - 627), 0)
      << "the rest of chunk 1 is still the first chunk's";
  writer.write(pcm.data() + at, pcm.size() - at);
  m = memory.copy();
  EXPECT_EQ(headerOf(m).writeIdx, 2);  // chunks 1 and 2 again
  EXPECT_EQ(std::memcmp(m.data() + 24 + 2 * chunk, pcm.data() + 4 * chunk, chunk), 0);
  EXPECT_EQ(m[24 + 3 * chunk], 0xEE) << "nothing written past the last chunk";
}

// stop(): the whole header is zero (upstream's receivers wait for the magic again); a restart
// in another format writes a new header and starts again at chunk 1.
TEST(IvshmemRingWriter, StopZeroesTheHeaderAndRestartTakesANewFormat) {
  Memory memory(1 << 16);
  IvshmemRingWriter writer;
  writer.attach(memory.data(), memory.bytes);
  ASSERT_EQ(writer.start({48000, 16, 2, 3}, 240), IvshmemRingWriter::StartError::kOk);
  writer.write(bytesFrom(0, 2000).data(), 2000);
  writer.stop();
  std::vector<uint8_t> m = memory.copy();
  EXPECT_EQ(std::vector<uint8_t>(m.begin(), m.begin() + 24), std::vector<uint8_t>(24, 0));
  EXPECT_FALSE(writer.started());
  ASSERT_EQ(writer.start({96000, 32, 8, 0x63F}, 480), IvshmemRingWriter::StartError::kOk);
  writer.write(bytesFrom(3, 480 * 32).data(), 480 * 32);
  m = memory.copy();
  const IvshmemHeader h = headerOf(m);
  EXPECT_EQ(h.magic, 0x11112014u);
  EXPECT_EQ(h.writeIdx, 1);
  EXPECT_EQ(h.chunkSize, 480u * 32);
  EXPECT_EQ(h.sampleRate, 0x02);
  EXPECT_EQ(h.channels, 8);
  EXPECT_EQ(h.channelMap, 0x63F);
  EXPECT_EQ(std::memcmp(m.data() + 24 + 480 * 32, bytesFrom(3, 480 * 32).data(), 480 * 32), 0);
}

TEST(SpscRecordRing, RecordsComeOutInOrderAcrossTheWrap) {
  std::vector<uint8_t> memory(256);
  SpscRecordRing ring;
  ring.attach(memory.data(), 256);
  std::vector<std::vector<uint8_t>> out;
  std::vector<uint32_t> types;
  auto drain = [&] {
    return ring.drain([&](uint32_t type, const uint8_t* data, uint32_t bytes) {
      types.push_back(type);
      out.emplace_back(data, data + bytes);
    });
  };
  uint32_t next = 0;
  for (int round = 0; round < 50; ++round) {
    const uint32_t bytes = 1 + (round * 37) % 100;  // never more than half the ring
    const std::vector<uint8_t> record = bytesFrom(next, bytes);
    if (!ring.push(1 + round % 3, record.data(), bytes)) {
      EXPECT_GT(drain(), 0u);
      ASSERT_TRUE(ring.push(1 + round % 3, record.data(), bytes)) << "empty ring, round " << round;
    }
    next += bytes;
  }
  drain();
  EXPECT_TRUE(ring.empty());
  ASSERT_EQ(out.size(), 50u);
  uint32_t expect = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(types[i], 1 + i % 3);
    EXPECT_EQ(out[i], bytesFrom(expect, out[i].size())) << "record " << i;
    expect += static_cast<uint32_t>(out[i].size());
  }
}

TEST(SpscRecordRing, FullAndOversizedAreRefusedWhole) {
  std::vector<uint8_t> memory(128);
  SpscRecordRing ring;
  ring.attach(memory.data(), 128);
  const std::vector<uint8_t> data = bytesFrom(0, 64);
  EXPECT_FALSE(ring.push(1, data.data(), 64)) << "72 bytes: more than half the ring";
  EXPECT_FALSE(ring.push(0, data.data(), 8)) << "type 0 is reserved";
  EXPECT_TRUE(ring.push(1, data.data(), 40));
  EXPECT_TRUE(ring.push(2, data.data(), 40));
  EXPECT_FALSE(ring.push(3, data.data(), 40)) << "96 of 128 bytes used";
  EXPECT_FALSE(ring.push(3, nullptr, 0, 25)) << "8 bytes fit, but not with 25 spare";
  EXPECT_TRUE(ring.push(3, nullptr, 0, 24)) << "an empty record is 8 bytes";
  int seen = 0;
  ring.drain([&](uint32_t type, const uint8_t*, uint32_t bytes) {
    EXPECT_EQ(type, static_cast<uint32_t>(++seen));
    EXPECT_EQ(bytes, seen == 3 ? 0u : 40u);
  });
  EXPECT_EQ(seen, 3);
}

}  // namespace
}  // namespace scream::driver
