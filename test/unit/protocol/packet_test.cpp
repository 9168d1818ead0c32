#include "protocol/packet.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace scream::protocol {
namespace {

std::vector<uint8_t> datagram(std::vector<uint8_t> header, size_t pcmBytes) {
  header.resize(header.size() + pcmBytes, 0x5A);
  return header;
}

TEST(Packet, FullDatagramParses) {
  const auto d = datagram({0x01, 16, 2, 0x03, 0x00}, kPayloadBytes);
  Packet p;
  ASSERT_EQ(parsePacket(d.data(), d.size(), &p), PacketError::kOk);
  EXPECT_TRUE(p.format == (Format{48000, 16, 2, 0x3}));
  EXPECT_EQ(p.pcm, d.data() + 5);
  EXPECT_EQ(p.pcmBytes, kPayloadBytes);
}

TEST(Packet, AnyPcmLengthIsAByteStream) {
  for (size_t n : {size_t{1}, size_t{3}, size_t{1151}, size_t{1153}, size_t{4000}}) {
    const auto d = datagram({0x81, 24, 5, 0x1F, 0x00}, n);
    Packet p;
    ASSERT_EQ(parsePacket(d.data(), d.size(), &p), PacketError::kOk) << n;
    EXPECT_EQ(p.pcmBytes, n);
  }
}

TEST(Packet, EveryRejectionHasItsReason) {
  Packet p;
  const auto tooShort = datagram({0x01, 16, 2, 0x03}, 0);
  EXPECT_EQ(parsePacket(tooShort.data(), tooShort.size(), &p), PacketError::kTooShort);
  EXPECT_EQ(parsePacket(nullptr, 0, &p), PacketError::kTooShort);
  const auto rate = datagram({0x80, 16, 2, 0x03, 0x00}, 16);
  EXPECT_EQ(parsePacket(rate.data(), rate.size(), &p), PacketError::kBadRateMarker);
  const auto bits = datagram({0x01, 8, 2, 0x03, 0x00}, 16);
  EXPECT_EQ(parsePacket(bits.data(), bits.size(), &p), PacketError::kBadBits);
  const auto none = datagram({0x01, 16, 0, 0x03, 0x00}, 16);
  EXPECT_EQ(parsePacket(none.data(), none.size(), &p), PacketError::kNoChannels);
  const auto many = datagram({0x01, 16, 9, 0x03, 0x00}, 16);
  EXPECT_EQ(parsePacket(many.data(), many.size(), &p), PacketError::kTooManyChannels);
  const auto empty = datagram({0x01, 16, 2, 0x03, 0x00}, 0);
  EXPECT_EQ(parsePacket(empty.data(), empty.size(), &p), PacketError::kEmptyPayload);
}

TEST(Packet, RejectionsLeaveThePacketUntouched) {
  Packet p;
  p.pcmBytes = 77;
  const auto empty = datagram({0x01, 16, 2, 0x03, 0x00}, 0);
  parsePacket(empty.data(), empty.size(), &p);
  EXPECT_EQ(p.pcmBytes, 77u);
}

TEST(Packet, ReasonsAreDistinct) {
  std::set<std::string> seen;
  for (size_t e = 0; e < kPacketErrorCount; ++e) seen.insert(describe(static_cast<PacketError>(e)));
  EXPECT_EQ(seen.size(), kPacketErrorCount);
}

}  // namespace
}  // namespace scream::protocol
