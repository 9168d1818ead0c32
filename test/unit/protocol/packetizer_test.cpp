#include "protocol/packetizer.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "protocol/packet.h"

namespace scream::protocol {
namespace {

struct Capture {
  std::vector<std::vector<uint8_t>> datagrams;
  void operator()(const uint8_t* d, size_t n) { datagrams.emplace_back(d, d + n); }
};

std::vector<uint8_t> randomBytes(size_t n, std::mt19937& rng) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

// Writes `pcm` in random chunk sizes, flushes, and checks the datagrams reproduce it exactly.
void roundTrip(const Format& format, size_t frames, std::mt19937& rng) {
  const auto pcm = randomBytes(frames * format.bytesPerFrame(), rng);
  Packetizer packetizer;
  Capture out;
  ASSERT_EQ(packetizer.setFormat(format, out), FormatError::kOk);
  std::uniform_int_distribution<size_t> chunk(0, 3000);
  size_t pos = 0;
  while (pos < pcm.size()) {
    const size_t n = std::min(chunk(rng), pcm.size() - pos);
    packetizer.write(pcm.data() + pos, n, out);
    pos += n;
  }
  EXPECT_EQ(packetizer.flush(out), 0u);

  uint8_t header[5];
  ASSERT_EQ(encodeHeader(format, header), FormatError::kOk);
  std::vector<uint8_t> joined;
  for (size_t i = 0; i < out.datagrams.size(); ++i) {
    const auto& d = out.datagrams[i];
    const bool last = i + 1 == out.datagrams.size();
    if (!last) {
      ASSERT_EQ(d.size(), kDatagramBytes) << "datagram " << i;
    }
    ASSERT_GT(d.size(), kHeaderBytes);
    ASSERT_LE(d.size(), kDatagramBytes);
    ASSERT_TRUE(std::equal(header, header + 5, d.begin())) << "datagram " << i;
    joined.insert(joined.end(), d.begin() + kHeaderBytes, d.end());
  }
  EXPECT_EQ(joined, pcm);
  EXPECT_EQ(out.datagrams.size(), (pcm.size() + kPayloadBytes - 1) / kPayloadBytes);
}

TEST(Packetizer, RandomChunkingsRoundTripForEveryLayout) {
  std::mt19937 rng(1234);
  for (uint8_t bits : {16, 24, 32}) {
    for (uint8_t channels = 1; channels <= 8; ++channels) {
      const Format format{48000, bits, channels, 0};
      for (size_t frames : {size_t{1}, size_t{287}, size_t{1000}, size_t{4801}}) {
        SCOPED_TRACE(testing::Message() << int(bits) << " bit, " << int(channels) << " ch, " << frames);
        roundTrip(format, frames, rng);
      }
    }
  }
}

TEST(Packetizer, FiveChannelFramesStraddleDatagrams) {
  // 16 bit * 5 ch = 10-byte frames: 1152 = 115 frames + 2 bytes, so the next datagram starts
  // with the remaining 8 bytes of frame 115.
  const Format format{48000, 16, 5, 0x1F};
  std::vector<uint8_t> pcm(10 * 230);
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<uint8_t>(i / 10);  // byte = frame no.
  Packetizer packetizer;
  Capture out;
  packetizer.setFormat(format, out);
  packetizer.write(pcm.data(), pcm.size(), out);
  ASSERT_EQ(out.datagrams.size(), 1u);
  EXPECT_EQ(out.datagrams[0][kHeaderBytes + 1151], 115);
  packetizer.flush(out);
  ASSERT_EQ(out.datagrams.size(), 2u);
  EXPECT_EQ(out.datagrams[1].size(), kHeaderBytes + 2300 - 1152);
  EXPECT_EQ(out.datagrams[1][kHeaderBytes + 0], 115);
  EXPECT_EQ(out.datagrams[1][kHeaderBytes + 8], 116);
}

TEST(Packetizer, FlushCutsAnIncompleteTrailingFrame) {
  const Format format{44100, 24, 2, 0x3};  // 6-byte frames
  std::vector<uint8_t> pcm(6 * 10 + 4, 1);
  Packetizer packetizer;
  Capture out;
  packetizer.setFormat(format, out);
  packetizer.write(pcm.data(), pcm.size(), out);
  EXPECT_EQ(packetizer.flush(out), 4u);
  ASSERT_EQ(out.datagrams.size(), 1u);
  EXPECT_EQ(out.datagrams[0].size(), kHeaderBytes + 60);
  EXPECT_EQ(packetizer.droppedBytes(), 4u);
  EXPECT_EQ(packetizer.pendingBytes(), 0u);
  packetizer.flush(out);
  EXPECT_EQ(out.datagrams.size(), 1u) << "an empty flush sends nothing";
}

TEST(Packetizer, FormatChangeFlushesTheOldFormatFirst) {
  Packetizer packetizer;
  Capture out;
  const Format a{48000, 16, 2, 0x3};
  const Format b{96000, 32, 8, 0x63F};
  std::vector<uint8_t> pcm(400, 7);
  packetizer.setFormat(a, out);
  packetizer.write(pcm.data(), pcm.size(), out);
  ASSERT_EQ(packetizer.setFormat(b, out), FormatError::kOk);
  ASSERT_EQ(out.datagrams.size(), 1u);
  EXPECT_EQ(out.datagrams[0].size(), kHeaderBytes + 400);
  EXPECT_EQ(out.datagrams[0][0], 0x01);
  std::vector<uint8_t> more(kPayloadBytes, 9);
  packetizer.write(more.data(), more.size(), out);
  ASSERT_EQ(out.datagrams.size(), 2u);
  const uint8_t expected[5] = {0x02, 32, 8, 0x3F, 0x06};
  EXPECT_TRUE(std::equal(expected, expected + 5, out.datagrams[1].begin()));
}

TEST(Packetizer, SameFormatAgainDoesNotFlush) {
  Packetizer packetizer;
  Capture out;
  const Format a{48000, 16, 2, 0x3};
  std::vector<uint8_t> pcm(400, 7);
  packetizer.setFormat(a, out);
  packetizer.write(pcm.data(), pcm.size(), out);
  packetizer.setFormat(a, out);
  EXPECT_TRUE(out.datagrams.empty());
  EXPECT_EQ(packetizer.pendingBytes(), 400u);
}

TEST(Packetizer, InvalidFormatIsRefusedAndTheOldOneKept) {
  Packetizer packetizer;
  Capture out;
  const Format a{48000, 16, 2, 0x3};
  packetizer.setFormat(a, out);
  EXPECT_EQ(packetizer.setFormat({48000, 12, 2, 0x3}, out), FormatError::kBitsUnsupported);
  EXPECT_TRUE(packetizer.format() == a);
}

TEST(Packetizer, WriteWithoutFormatDropsAndCounts) {
  Packetizer packetizer;
  Capture out;
  std::vector<uint8_t> pcm(100, 1);
  packetizer.write(pcm.data(), pcm.size(), out);
  EXPECT_TRUE(out.datagrams.empty());
  EXPECT_EQ(packetizer.droppedBytes(), 100u);
}

TEST(Packetizer, EveryDatagramParsesBack) {
  std::mt19937 rng(99);
  Packetizer packetizer;
  Capture out;
  const Format format{176400, 24, 7, 0x7F};
  packetizer.setFormat(format, out);
  const auto pcm = randomBytes(21 * 5000, rng);
  packetizer.write(pcm.data(), pcm.size(), out);
  packetizer.flush(out);
  for (const auto& d : out.datagrams) {
    Packet p;
    ASSERT_EQ(parsePacket(d.data(), d.size(), &p), PacketError::kOk);
    EXPECT_TRUE(p.format == format);
  }
}

}  // namespace
}  // namespace scream::protocol
