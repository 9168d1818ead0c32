#include "protocol/frame_assembler.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "protocol/packet.h"
#include "protocol/packetizer.h"

namespace scream::protocol {
namespace {

struct Frames {
  std::vector<uint8_t> bytes;
  size_t calls = 0;
  uint32_t bytesPerFrame = 0;
  void operator()(const uint8_t* f, size_t n) {
    ++calls;
    bytes.insert(bytes.end(), f, f + n * bytesPerFrame);
  }
};

TEST(FrameAssembler, PacketizerToAssemblerIsLosslessForEveryLayout) {
  std::mt19937 rng(7);
  for (uint8_t bits : {16, 24, 32}) {
    for (uint8_t channels = 1; channels <= 8; ++channels) {
      const Format format{48000, bits, channels, 0};
      std::vector<uint8_t> pcm(format.bytesPerFrame() * 3001);
      for (auto& b : pcm) b = static_cast<uint8_t>(rng());
      Packetizer packetizer;
      FrameAssembler assembler;
      assembler.reset(format.bytesPerFrame());
      Frames frames;
      frames.bytesPerFrame = format.bytesPerFrame();
      auto deliver = [&](const uint8_t* d, size_t n) {
        Packet p;
        ASSERT_EQ(parsePacket(d, n, &p), PacketError::kOk);
        assembler.push(p.pcm, p.pcmBytes, frames);
      };
      packetizer.setFormat(format, deliver);
      packetizer.write(pcm.data(), pcm.size(), deliver);
      packetizer.flush(deliver);
      EXPECT_EQ(frames.bytes, pcm) << int(bits) << " bit " << int(channels) << " ch";
      EXPECT_EQ(assembler.carriedBytes(), 0u);
    }
  }
}

TEST(FrameAssembler, CarriesAFragmentAcrossManyTinyPackets) {
  FrameAssembler assembler;
  assembler.reset(14);  // 16 bit, 7 channels
  Frames frames;
  frames.bytesPerFrame = 14;
  std::vector<uint8_t> pcm(14 * 3);
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<uint8_t>(i);
  for (size_t i = 0; i < pcm.size(); ++i) assembler.push(&pcm[i], 1, frames);
  EXPECT_EQ(frames.bytes, pcm);
  EXPECT_EQ(frames.calls, 3u);
}

TEST(FrameAssembler, ResetDiscardsTheFragmentOfTheOldStream) {
  FrameAssembler assembler;
  assembler.reset(10);
  Frames frames;
  frames.bytesPerFrame = 4;
  const uint8_t junk[7] = {1, 2, 3, 4, 5, 6, 7};
  assembler.push(junk, sizeof junk, frames);
  EXPECT_EQ(assembler.carriedBytes(), 7u);
  assembler.reset(4);
  EXPECT_EQ(assembler.carriedBytes(), 0u);
  const uint8_t fresh[8] = {9, 9, 9, 9, 8, 8, 8, 8};
  assembler.push(fresh, sizeof fresh, frames);
  EXPECT_EQ(frames.bytes, std::vector<uint8_t>(fresh, fresh + 8));
}

TEST(FrameAssembler, NonsenseFrameSizeFallsBackToBytes) {
  FrameAssembler assembler;
  assembler.reset(0);
  EXPECT_EQ(assembler.bytesPerFrame(), 1u);
  assembler.reset(1000);
  EXPECT_EQ(assembler.bytesPerFrame(), 1u);
}

}  // namespace
}  // namespace scream::protocol
