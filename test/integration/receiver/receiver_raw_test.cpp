// `-o raw` is byte-exact: what the sender packetized is what reaches stdout, including 5-channel
// 24-bit frames that straddle datagrams and the shorter final datagram; and nothing else does,
// not even a flood of malformed datagrams from another address (issue 22).
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <thread>

#include "receiver_fixture.h"
#include "support/test_sender.h"

namespace scream::testing {
namespace {

TestSenderConfig randomPcm(uint16_t port, const protocol::Format& format, double seconds) {
  TestSenderConfig config;
  config.destPort = port;
  config.format = format;
  config.seconds = seconds;
  config.burstMs = 5;
  config.probe = false;
  config.recordPcm = true;
  return config;
}

// Stops the receiver and compares its stdout with everything the sender sent.
void expectRawOutputIs(Receiver& r, const TestSender& sender) {
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(r.stop(), 0) << r.log();
  const std::string out = readFile(r.stdoutPath());
  ASSERT_EQ(out.size(), sender.pcm().size()) << r.log();
  EXPECT_TRUE(std::equal(out.begin(), out.end(), sender.pcm().begin(),
                         [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; }));
  EXPECT_NE(r.log().find("raw: format"), std::string::npos) << "format announced on stderr";
}

void expectByteExact(const protocol::Format& format, const char* name) {
  Receiver r = startReceiver(name, {"-o", "raw"});
  TestSender sender(randomPcm(r.port, format, 2));
  sender.start();
  sender.join();
  expectRawOutputIs(r, sender);
}

TEST(ReceiverRaw, ByteExactStereo16) { expectByteExact({48000, 16, 2, 0x3}, "raw-stereo"); }

TEST(ReceiverRaw, ByteExactFiveChannels24Bit) {
  expectByteExact({44100, 24, 5, 0x1F}, "raw-five");
}

TEST(ReceiverRaw, ByteExact192k32Bit8Channels) {
  expectByteExact({192000, 32, 8, 0x63F}, "raw-eight");
}

// "malformed 9000 (too-short 1000, rate-zero 1000, ...)" from the stats line, by reason key.
uint64_t countIn(const std::string& statsLine, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(statsLine, m, std::regex("[(, ]" + key + " ([0-9]+)[,)]"))) return 0;
  return std::stoull(m[1]);
}

// 1000 malformed datagrams of every kind, interleaved, from 127.0.0.2 while the real sender
// plays from 127.0.0.1; the flood starts before the sender or after it has the lock. Paced at
// 9 per 1.5 ms so the socket buffer never overflows and every one is counted.
void floodWhileStreaming(bool floodFirst, const char* name) {
  Receiver r = startReceiver(name, {"-o", "raw"});
  TestSender sender(randomPcm(r.port, {48000, 16, 2, 0x3}, 3));
  constexpr int kPerKind = 1000;
  constexpr int kKinds = protocol::kPacketErrorCount - 1;
  MalformedCounts sent{};
  auto flood = [&] {
    sent = sendMalformed(r.port, kPerKind * kKinds, 22,
                         {.spacingNs = 150'000, .sourceIpv4 = 0x7F000002});  // from 127.0.0.2
  };
  std::thread flooder;
  if (floodFirst) {
    flooder = std::thread(flood);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sender.start();
  } else {
    sender.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    flooder = std::thread(flood);
  }
  flooder.join();
  sender.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string stats = r.statsLine();
  ASSERT_FALSE(stats.empty()) << r.log();
  uint64_t total = 0;
  const char* keys[] = {"too-short", "rate-zero", "bits", "no-channels", "too-many-channels",
                        "empty", "rate", "partial-frame"};
  for (int kind = 0; kind < kKinds; ++kind) {
    EXPECT_EQ(sent[static_cast<size_t>(kind) + 1], uint64_t{kPerKind}) << keys[kind];
    EXPECT_EQ(countIn(stats, keys[kind]), uint64_t{kPerKind}) << keys[kind] << "\n" << stats;
    total += countIn(stats, keys[kind]);
  }
  EXPECT_NE(stats.find("malformed " + std::to_string(total) + " ("), std::string::npos) << stats;
  EXPECT_NE(stats.find("source 127.0.0.1:"), std::string::npos) << stats;
  EXPECT_NE(stats.find("other sources 0"), std::string::npos) << stats;
  expectRawOutputIs(r, sender);
}

TEST(ReceiverRaw, MalformedFloodBeforeTheSenderIsNeverPlayed) {
  floodWhileStreaming(true, "raw-flood-first");
}

TEST(ReceiverRaw, MalformedFloodDuringTheStreamIsNeverPlayed) {
  floodWhileStreaming(false, "raw-flood-during");
}

}  // namespace
}  // namespace scream::testing
