// `-o raw` is byte-exact: what the sender packetized is what reaches stdout, including 5-channel
// 24-bit frames that straddle datagrams and the shorter final datagram.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "receiver_fixture.h"
#include "support/test_sender.h"

namespace scream::testing {
namespace {

void expectByteExact(const protocol::Format& format, const char* name) {
  Receiver r = startReceiver(name, {"-o", "raw"});
  TestSenderConfig config;
  config.destPort = r.port;
  config.format = format;
  config.seconds = 2;
  config.burstMs = 5;
  config.probe = false;
  config.recordPcm = true;
  TestSender sender(config);
  sender.start();
  sender.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(r.stop(), 0) << r.log();
  const std::string out = readFile(r.stdoutPath());
  ASSERT_EQ(out.size(), sender.pcm().size()) << r.log();
  EXPECT_TRUE(std::equal(out.begin(), out.end(), sender.pcm().begin(),
                         [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; }));
  EXPECT_NE(r.log().find("raw: format"), std::string::npos) << "format announced on stderr";
}

TEST(ReceiverRaw, ByteExactStereo16) { expectByteExact({48000, 16, 2, 0x3}, "raw-stereo"); }

TEST(ReceiverRaw, ByteExactFiveChannels24Bit) {
  expectByteExact({44100, 24, 5, 0x1F}, "raw-five");
}

TEST(ReceiverRaw, ByteExact192k32Bit8Channels) {
  expectByteExact({192000, 32, 8, 0x63F}, "raw-eight");
}

}  // namespace
}  // namespace scream::testing
