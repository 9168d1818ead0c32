// Packet validation: every byte pattern of the header and every short payload, each rejection
// under its own reason (issue 22: malformed datagrams never become a stream).
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

PacketError parse(const std::vector<uint8_t>& d) {
  Packet p;
  return parsePacket(d.data(), d.size(), &p);
}

TEST(Packet, FullDatagramParses) {
  const auto d = datagram({0x01, 16, 2, 0x03, 0x00}, kPayloadBytes);
  Packet p;
  ASSERT_EQ(parsePacket(d.data(), d.size(), &p), PacketError::kOk);
  EXPECT_TRUE(p.format == (Format{48000, 16, 2, 0x3}));
  EXPECT_EQ(p.pcm, d.data() + 5);
  EXPECT_EQ(p.pcmBytes, kPayloadBytes);
}

// Frames straddle datagrams with 5 or 7 channels: any length of at least one frame is accepted.
TEST(Packet, AnyPcmLengthOfAtLeastOneFrameIsAByteStream) {
  for (size_t n : {size_t{15}, size_t{16}, size_t{1151}, size_t{1153}, size_t{4000}}) {
    const auto d = datagram({0x81, 24, 5, 0x1F, 0x00}, n);
    Packet p;
    ASSERT_EQ(parsePacket(d.data(), d.size(), &p), PacketError::kOk) << n;
    EXPECT_EQ(p.pcmBytes, n);
  }
}

TEST(Packet, EveryRejectionHasItsReason) {
  EXPECT_EQ(parse(datagram({0x01, 16, 2, 0x03}, 0)), PacketError::kTooShort);
  Packet p;
  EXPECT_EQ(parsePacket(nullptr, 0, &p), PacketError::kTooShort);
  EXPECT_EQ(parse(datagram({0x80, 16, 2, 0x03, 0x00}, 16)), PacketError::kBadRateMarker);
  EXPECT_EQ(parse(datagram({0x01, 8, 2, 0x03, 0x00}, 16)), PacketError::kBadBits);
  EXPECT_EQ(parse(datagram({0x01, 16, 0, 0x03, 0x00}, 16)), PacketError::kNoChannels);
  EXPECT_EQ(parse(datagram({0x01, 16, 9, 0x03, 0x00}, 16)), PacketError::kTooManyChannels);
  EXPECT_EQ(parse(datagram({0x01, 16, 2, 0x03, 0x00}, 0)), PacketError::kEmptyPayload);
  EXPECT_EQ(parse(datagram({0x03, 16, 2, 0x03, 0x00}, 16)), PacketError::kUnsupportedRate);
  EXPECT_EQ(parse(datagram({0x01, 16, 2, 0x07, 0x00}, 16)), PacketError::kOk) << "extra mask bits are ignored";
  EXPECT_EQ(parse(datagram({0x01, 16, 2, 0x03, 0x00}, 3)), PacketError::kPartialFrame);
}

// The datagram of issue 22: taken for a 5,600,700 Hz stream before.
TEST(Packet, TheIssue22DatagramIsRejected) {
  std::vector<uint8_t> d = {0xFF, 32, 8, 0xFF, 0xFF};
  d.resize(kDatagramBytes, 0x7F);
  EXPECT_EQ(parse(d), PacketError::kUnsupportedRate);
}

TEST(Packet, OnlySixRateBytesAreAccepted) {
  const std::set<int> scream = {0x81, 0x82, 0x84, 0x01, 0x02, 0x04};
  for (int marker = 0; marker < 256; ++marker) {
    const PacketError want = scream.count(marker)            ? PacketError::kOk
                             : (marker & 0x7F) == 0          ? PacketError::kBadRateMarker
                                                             : PacketError::kUnsupportedRate;
    EXPECT_EQ(parse(datagram({static_cast<uint8_t>(marker), 16, 2, 0x03, 0x00}, 64)), want)
        << "rate byte " << marker;
    EXPECT_EQ(isScreamRateMarker(static_cast<uint8_t>(marker)), scream.count(marker) == 1);
  }
}

TEST(Packet, OnlySixteenTwentyFourAndThirtyTwoBits) {
  for (int bits = 0; bits < 256; ++bits) {
    const bool ok = bits == 16 || bits == 24 || bits == 32;
    EXPECT_EQ(parse(datagram({0x01, static_cast<uint8_t>(bits), 2, 0x03, 0x00}, 192)),
              ok ? PacketError::kOk : PacketError::kBadBits)
        << "bits " << bits;
  }
}

TEST(Packet, OnlyOneToEightChannels) {
  for (int channels = 0; channels < 256; ++channels) {
    const PacketError want = channels == 0  ? PacketError::kNoChannels
                             : channels > 8 ? PacketError::kTooManyChannels
                                            : PacketError::kOk;
    EXPECT_EQ(parse(datagram({0x01, 16, static_cast<uint8_t>(channels), 0x00, 0x00}, 64)), want)
        << "channels " << channels;
  }
}

// Every 16-bit mask for every channel count is accepted: every bit names a KSAUDIO speaker;
// fewer set bits than channels leave channels without a position, more are ignored (Windows
// documents both for WAVEFORMATEXTENSIBLE). A sender can mean any of them.
TEST(Packet, EveryMaskForEveryChannelCount) {
  for (uint8_t channels = 1; channels <= kMaxChannels; ++channels) {
    for (uint32_t mask = 0; mask <= 0xFFFF; ++mask) {
      const auto d = datagram(
          {0x01, 16, channels, static_cast<uint8_t>(mask), static_cast<uint8_t>(mask >> 8)}, 64);
      ASSERT_EQ(parse(d), PacketError::kOk) << channels << " ch mask " << mask;
    }
  }
}

// Every valid format, every payload shorter than one frame.
TEST(Packet, LessThanOneFrameIsRejectedForEveryFormat) {
  for (uint8_t bits : {16, 24, 32}) {
    for (uint8_t channels = 1; channels <= kMaxChannels; ++channels) {
      const size_t frame = size_t{bits} / 8 * channels;
      const uint16_t mask = static_cast<uint16_t>((1u << channels) - 1u);
      const std::vector<uint8_t> header = {0x02, bits, channels, static_cast<uint8_t>(mask), 0};
      EXPECT_EQ(parse(datagram(header, 0)), PacketError::kEmptyPayload);
      for (size_t n = 1; n < frame; ++n) {
        EXPECT_EQ(parse(datagram(header, n)), PacketError::kPartialFrame) << frame << " " << n;
      }
      EXPECT_EQ(parse(datagram(header, frame)), PacketError::kOk) << frame;
    }
  }
}

TEST(Packet, RejectionsLeaveThePacketUntouched) {
  Packet p;
  p.pcmBytes = 77;
  for (const auto& d :
       {datagram({0x01, 16, 2, 0x03, 0x00}, 0), datagram({0x7F, 16, 2, 3, 0}, 8),
        datagram({0x01, 12, 2, 0x03, 0x00}, 8), datagram({0x01, 32, 8, 3, 0}, 31)}) {
    EXPECT_NE(parsePacket(d.data(), d.size(), &p), PacketError::kOk);
    EXPECT_EQ(p.pcmBytes, 77u);
    EXPECT_EQ(p.pcm, nullptr);
  }
}

TEST(Packet, ReasonsAreDistinct) {
  std::set<std::string> seen;
  for (size_t e = 0; e < kPacketErrorCount; ++e) seen.insert(describe(static_cast<PacketError>(e)));
  EXPECT_EQ(seen.size(), kPacketErrorCount);
  EXPECT_EQ(std::string(describe(static_cast<PacketError>(kPacketErrorCount))),
            "unknown packet error");
}

}  // namespace
}  // namespace scream::protocol
