#include "driver/core/sender_engine.h"

#include <gtest/gtest.h>

#include <vector>

#include "protocol/packet.h"

namespace scream::driver {
namespace {

using protocol::Format;
using protocol::FormatError;
using protocol::kDatagramBytes;
using protocol::kHeaderBytes;
using protocol::kPayloadBytes;

constexpr uint64_t kQpc = 10'000'000;
constexpr uint64_t kMs = kQpc / 1000;

struct Capture {
  std::vector<std::vector<uint8_t>> datagrams;
  void operator()(const uint8_t* d, size_t n) { datagrams.emplace_back(d, d + n); }
  std::vector<uint8_t> pcm() const {
    std::vector<uint8_t> all;
    for (const auto& d : datagrams) all.insert(all.end(), d.begin() + kHeaderBytes, d.end());
    return all;
  }
};

// A cyclic buffer whose byte i is (i * 7 + 1) mod 251: never 0, so the gate never sees silence.
std::vector<uint8_t> filledBuffer(size_t bytes) {
  std::vector<uint8_t> buffer(bytes);
  for (size_t i = 0; i < bytes; ++i) buffer[i] = static_cast<uint8_t>((i * 7 + 1) % 251 + 1);
  return buffer;
}

// The bytes the engine must send for absolute frames [from, to) of a cyclic buffer.
std::vector<uint8_t> played(const std::vector<uint8_t>& buffer, uint32_t bpf, uint64_t from,
                            uint64_t to) {
  const uint64_t frames = buffer.size() / bpf;
  std::vector<uint8_t> out;
  for (uint64_t f = from; f < to; ++f) {
    const auto* p = buffer.data() + (f % frames) * bpf;
    out.insert(out.end(), p, p + bpf);
  }
  return out;
}

const Format kStereo16{48000, 16, 2, 0x3};

TEST(SenderEngine, TickSendsWhatWasPlayedInFullDatagrams) {
  auto buffer = filledBuffer(4800 * 4);  // 100 ms
  SenderEngine engine;
  ASSERT_EQ(engine.start(1000, kQpc, kStereo16, buffer.data(), buffer.size()), FormatError::kOk);
  Capture out;
  engine.tick(1000, out);
  EXPECT_TRUE(out.datagrams.empty()) << "nothing played yet";
  engine.tick(1000 + 7 * kMs, out);  // 336 frames = 1344 bytes: one datagram + 192 pending
  ASSERT_EQ(out.datagrams.size(), 1u);
  EXPECT_EQ(out.datagrams[0].size(), kDatagramBytes);
  const uint8_t header[5] = {0x01, 16, 2, 0x03, 0x00};
  EXPECT_TRUE(std::equal(header, header + 5, out.datagrams[0].begin()));
  for (int i = 1; i <= 300; ++i) engine.tick(1000 + 7 * kMs + i * 3 * kMs, out);
  engine.stop(out);
  const uint64_t frames = 48 * (7 + 900);
  EXPECT_EQ(out.pcm(), played(buffer, 4, 0, frames)) << "wrap-arounds included";
  for (size_t i = 0; i + 1 < out.datagrams.size(); ++i) {
    ASSERT_EQ(out.datagrams[i].size(), kDatagramBytes);
  }
  EXPECT_EQ(out.datagrams.back().size(), kHeaderBytes + (frames * 4) % kPayloadBytes);
  EXPECT_EQ(engine.stats().framesRead, frames);
  EXPECT_EQ(engine.stats().datagrams, out.datagrams.size());
  EXPECT_FALSE(engine.started());
}

TEST(SenderEngine, InvalidFormatDoesNotStart) {
  auto buffer = filledBuffer(4096);
  SenderEngine engine;
  EXPECT_EQ(engine.start(0, kQpc, Format{32000, 16, 2, 3}, buffer.data(), buffer.size()),
            FormatError::kRateNotMultipleOfBase);
  EXPECT_FALSE(engine.started());
  Capture out;
  EXPECT_EQ(engine.tick(kQpc, out), 0u);
  EXPECT_TRUE(out.datagrams.empty());
}

TEST(SenderEngine, LateTimerSkipsToTheNewestBufferAndCountsIt) {
  auto buffer = filledBuffer(480 * 4);  // 10 ms
  SenderEngine engine;
  engine.start(0, kQpc, kStereo16, buffer.data(), buffer.size());
  Capture out;
  engine.tick(5 * kMs, out);
  engine.tick(40 * kMs, out);  // 35 ms late with a 10 ms buffer: 25 ms lost
  EXPECT_EQ(engine.stats().framesSkipped, 25u * 48);
  EXPECT_EQ(engine.stats().framesRead, 15u * 48);
  engine.stop(out);
  auto expected = played(buffer, 4, 0, 240);
  const auto newest = played(buffer, 4, 1440, 1920);
  expected.insert(expected.end(), newest.begin(), newest.end());
  EXPECT_EQ(out.pcm(), expected);
}

TEST(SenderEngine, PauseFlushesAndHoldsThePosition) {
  auto buffer = filledBuffer(4800 * 4);
  SenderEngine engine;
  engine.start(0, kQpc, kStereo16, buffer.data(), buffer.size());
  Capture out;
  engine.pause(10 * kMs, out);  // 480 frames = 1920 bytes: one full + one 768-byte datagram
  ASSERT_EQ(out.datagrams.size(), 2u);
  EXPECT_EQ(out.datagrams[1].size(), kHeaderBytes + 768);
  EXPECT_FALSE(engine.running());
  EXPECT_EQ(engine.positionFrames(500 * kMs), 480u);
  engine.tick(500 * kMs, out);
  EXPECT_EQ(out.datagrams.size(), 2u) << "nothing plays while paused";
  engine.resume(1000 * kMs);
  EXPECT_EQ(engine.positionFrames(1001 * kMs), 528u);
  engine.tick(1012 * kMs, out);
  engine.stop(out);
  EXPECT_EQ(out.pcm(), played(buffer, 4, 0, 480 + 12 * 48));
}

TEST(SenderEngine, PlayOffsetIsThePositionModuloTheBuffer) {
  auto buffer = filledBuffer(1000 * 6 + 2);  // 1000 frames of 24-bit stereo + 2 spare bytes
  SenderEngine engine;
  engine.start(0, kQpc, Format{48000, 24, 2, 3}, buffer.data(), buffer.size());
  EXPECT_EQ(engine.playOffsetBytes(0), 0u);
  EXPECT_EQ(engine.playOffsetBytes(10 * kMs), 480u * 6);
  EXPECT_EQ(engine.playOffsetBytes(25 * kMs), (1200u % 1000) * 6);
}

TEST(SenderEngine, NotificationsAreReportedByTick) {
  auto buffer = filledBuffer(960 * 4);  // 20 ms, two notifications: every 10 ms
  SenderEngine engine;
  engine.setNotificationCount(2);
  engine.start(0, kQpc, kStereo16, buffer.data(), buffer.size());
  Capture out;
  EXPECT_EQ(engine.tick(9 * kMs, out), 0u);
  EXPECT_EQ(engine.tick(10 * kMs, out), 1u);
  EXPECT_EQ(engine.tick(19 * kMs, out), 0u);
  EXPECT_EQ(engine.tick(41 * kMs, out), 3u);
}

TEST(SenderEngine, FormatChangeFlushesTheOldStreamAndRestartsThePosition) {
  auto a = filledBuffer(4800 * 4);
  auto b = filledBuffer(9600 * 24);
  SenderEngine engine;
  engine.start(0, kQpc, kStereo16, a.data(), a.size());
  Capture out;
  engine.tick(4 * kMs, out);
  const Format surround{96000, 32, 6, 0x3F};
  ASSERT_EQ(engine.changeFormat(5 * kMs, surround, b.data(), b.size(), out), FormatError::kOk);
  // 5 ms of the old format (960 bytes) left as one short datagram.
  ASSERT_EQ(out.datagrams.size(), 1u);
  EXPECT_EQ(out.datagrams[0].size(), kHeaderBytes + 960);
  EXPECT_EQ(engine.positionFrames(5 * kMs), 0u);
  engine.tick(6 * kMs, out);  // 96 frames * 24 bytes = 2304 bytes = two datagrams
  ASSERT_EQ(out.datagrams.size(), 3u);
  protocol::Packet packet;
  ASSERT_EQ(protocol::parsePacket(out.datagrams[2].data(), out.datagrams[2].size(), &packet),
            protocol::PacketError::kOk);
  EXPECT_TRUE(packet.format == surround);
  std::vector<uint8_t> fresh(out.datagrams[1].begin() + kHeaderBytes, out.datagrams[1].end());
  fresh.insert(fresh.end(), packet.pcm, packet.pcm + packet.pcmBytes);
  EXPECT_EQ(fresh, played(b, 24, 0, 96));
}

TEST(SenderEngine, InvalidFormatChangeKeepsTheOldStream) {
  auto a = filledBuffer(4800 * 4);
  SenderEngine engine;
  engine.start(0, kQpc, kStereo16, a.data(), a.size());
  Capture out;
  EXPECT_EQ(engine.changeFormat(kMs, Format{48000, 20, 2, 3}, a.data(), a.size(), out),
            FormatError::kBitsUnsupported);
  EXPECT_TRUE(engine.format() == kStereo16);
  engine.tick(12 * kMs, out);
  engine.stop(out);
  EXPECT_EQ(out.pcm(), played(a, 4, 0, 12 * 48)) << "the position was not restarted";
}

TEST(SenderEngine, MuteSendsSilenceAndTheGateThenSuppressesIt) {
  auto buffer = filledBuffer(4800 * 4);
  SenderEngine engine;
  engine.setSilenceThreshold(96);  // 2 ms
  engine.start(0, kQpc, kStereo16, buffer.data(), buffer.size());
  Capture out;
  engine.tick(10 * kMs, out);
  engine.setMuted(true);
  engine.tick(20 * kMs, out);  // 2 ms of zeros pass, then the stream stops and is flushed
  const size_t whileMuted = out.datagrams.size();
  engine.tick(30 * kMs, out);
  EXPECT_EQ(out.datagrams.size(), whileMuted) << "nothing leaves while suppressed";
  EXPECT_TRUE(engine.suppressing());
  engine.setMuted(false);
  engine.tick(40 * kMs, out);
  engine.stop(out);
  auto expected = played(buffer, 4, 0, 480);
  expected.insert(expected.end(), 96 * 4, 0);
  const auto after = played(buffer, 4, 1440, 1920);
  expected.insert(expected.end(), after.begin(), after.end());
  EXPECT_EQ(out.pcm(), expected);
  EXPECT_EQ(engine.stats().framesSuppressed, 480u - 96 + 480);
}

TEST(SenderEngine, MuteWithoutTheGateSendsZeros) {
  auto buffer = filledBuffer(4800 * 4);
  SenderEngine engine;
  engine.start(0, kQpc, kStereo16, buffer.data(), buffer.size());
  engine.setMuted(true);
  Capture out;
  engine.tick(30 * kMs, out);
  engine.stop(out);
  EXPECT_EQ(out.pcm(), std::vector<uint8_t>(1440 * 4, 0));
}

TEST(SendPipeline, SuppressionFlushesThePendingPayloadAtOnce) {
  SendPipeline pipeline;
  pipeline.setSilenceThreshold(1);
  Capture out;
  ASSERT_EQ(pipeline.setFormat(kStereo16, out), FormatError::kOk);
  std::vector<uint8_t> pcm(400, 5);
  pipeline.write(pcm.data(), pcm.size(), out);
  EXPECT_TRUE(out.datagrams.empty());
  std::vector<uint8_t> silence(40, 0);
  pipeline.write(silence.data(), silence.size(), out);
  ASSERT_EQ(out.datagrams.size(), 1u) << "the sound before the pause leaves immediately";
  EXPECT_EQ(out.datagrams[0].size(), kHeaderBytes + 404);
  EXPECT_EQ(pipeline.passedBytes(), 404u);
  EXPECT_EQ(pipeline.suppressedFrames(), 9u);
}

TEST(SendPipeline, RestartInTheSameFormatFlushes) {
  SendPipeline pipeline;
  Capture out;
  pipeline.setFormat(kStereo16, out);
  std::vector<uint8_t> pcm(400, 5);
  pipeline.write(pcm.data(), pcm.size(), out);
  pipeline.setFormat(kStereo16, out);
  ASSERT_EQ(out.datagrams.size(), 1u);
  EXPECT_EQ(pipeline.pendingBytes(), 0u);
}

}  // namespace
}  // namespace scream::driver
