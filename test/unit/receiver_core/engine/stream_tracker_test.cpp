#include "receivers/core/stream_tracker.h"

#include <gtest/gtest.h>

#include <vector>

#include "protocol/packetizer.h"

namespace scream::receiver {
namespace {

using protocol::Format;
using protocol::Packet;

std::vector<std::vector<uint8_t>> packetize(const Format& format, const std::vector<uint8_t>& pcm) {
  std::vector<std::vector<uint8_t>> out;
  protocol::Packetizer p;
  auto emit = [&](const uint8_t* d, size_t n) { out.emplace_back(d, d + n); };
  p.setFormat(format, emit);
  p.write(pcm.data(), pcm.size(), emit);
  p.flush(emit);
  return out;
}

Packet parse(const std::vector<uint8_t>& d) {
  Packet p;
  EXPECT_EQ(protocol::parsePacket(d.data(), d.size(), &p), protocol::PacketError::kOk);
  return p;
}

TEST(StreamTracker, ReassemblesSevenChannelFramesAndConvertsToFloat) {
  const Format format{48000, 16, 7, 0x7F};
  std::vector<uint8_t> pcm(14 * 1000);
  for (size_t f = 0; f < 1000; ++f) {
    for (size_t c = 0; c < 7; ++c) {
      const int16_t v = static_cast<int16_t>(f * 7 + c);
      pcm[f * 14 + c * 2] = static_cast<uint8_t>(v), pcm[f * 14 + c * 2 + 1] = static_cast<uint8_t>(v >> 8);
    }
  }
  StreamTracker tracker(200'000'000);
  std::vector<float> all;
  int64_t t = 0;
  for (const auto& d : packetize(format, pcm)) {
    const auto frames = tracker.push(parse(d), t += 1'000'000);
    all.insert(all.end(), frames.samples, frames.samples + frames.frames * 7);
  }
  ASSERT_EQ(all.size(), 7000u);
  for (size_t i = 0; i < all.size(); ++i) ASSERT_FLOAT_EQ(all[i], static_cast<float>(i) / 32768.0f) << i;
}

TEST(StreamTracker, ClassifiesStartFormatBitsAndGaps) {
  StreamTracker tracker(200'000'000);
  std::vector<uint8_t> d = {0x01, 16, 2, 0x03, 0x00, 1, 2, 3, 4};
  EXPECT_EQ(tracker.push(parse(d), 0).change, StreamTracker::Change::kFirst);
  EXPECT_EQ(tracker.push(parse(d), 5'000'000).change, StreamTracker::Change::kNone);
  EXPECT_EQ(tracker.push(parse(d), 300'000'000).change, StreamTracker::Change::kResumedAfterGap);
  d[1] = 32;
  d.resize(13);
  EXPECT_EQ(tracker.push(parse(d), 301'000'000).change, StreamTracker::Change::kBitsOnly);
  d[0] = 0x02;
  EXPECT_EQ(tracker.push(parse(d), 302'000'000).change, StreamTracker::Change::kFormat);
  d[3] = 0x04;
  EXPECT_EQ(tracker.push(parse(d), 303'000'000).change, StreamTracker::Change::kFormat);
  EXPECT_EQ(tracker.format().channelMask, 0x04);
}

TEST(StreamTracker, FragmentIsDroppedOnFormatChange) {
  StreamTracker tracker(200'000'000);
  // 16-bit stereo: 6 bytes = one frame + half a frame.
  std::vector<uint8_t> a = {0x01, 16, 2, 0x03, 0x00, 0, 0, 0, 0, 9, 9};
  EXPECT_EQ(tracker.push(parse(a), 0).frames, 1u);
  std::vector<uint8_t> b = {0x02, 16, 2, 0x03, 0x00, 0, 0, 0, 0};
  const auto frames = tracker.push(parse(b), 1000);
  EXPECT_EQ(frames.frames, 1u) << "the half frame of the old stream must not join the new one";
  EXPECT_FLOAT_EQ(frames.samples[0], 0.0f);
}

}  // namespace
}  // namespace scream::receiver
