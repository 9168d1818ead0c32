#include "driver/core/cyclic_buffer_reader.h"

#include <gtest/gtest.h>

#include <vector>

namespace scream::driver {
namespace {

struct Spans {
  std::vector<std::vector<uint8_t>> spans;
  void operator()(const uint8_t* data, size_t size) { spans.emplace_back(data, data + size); }
  std::vector<uint8_t> joined() const {
    std::vector<uint8_t> all;
    for (const auto& s : spans) all.insert(all.end(), s.begin(), s.end());
    return all;
  }
};

// A buffer of `frames` 4-byte frames whose bytes are the byte offset (mod 256).
std::vector<uint8_t> numbered(size_t bytes) {
  std::vector<uint8_t> buffer(bytes);
  for (size_t i = 0; i < bytes; ++i) buffer[i] = static_cast<uint8_t>(i);
  return buffer;
}

TEST(CyclicBufferReader, ReadsNewFramesInOneSpanWithoutWrap) {
  const auto buffer = numbered(40);  // 10 frames of 4 bytes
  CyclicBufferReader reader;
  reader.attach(buffer.data(), 40, 4);
  Spans out;
  EXPECT_EQ(reader.consumeTo(3, out), 3u);
  ASSERT_EQ(out.spans.size(), 1u);
  EXPECT_EQ(out.spans[0], std::vector<uint8_t>(buffer.begin(), buffer.begin() + 12));
  EXPECT_EQ(reader.nextFrame(), 3u);
  EXPECT_EQ(reader.consumeTo(3, out), 0u) << "nothing new";
  EXPECT_EQ(reader.consumeTo(2, out), 0u) << "a position that went back reads nothing";
  EXPECT_EQ(out.spans.size(), 1u);
}

TEST(CyclicBufferReader, WrapAroundSplitsIntoTwoSpans) {
  const auto buffer = numbered(40);
  CyclicBufferReader reader;
  reader.attach(buffer.data(), 40, 4, 7);  // starts at frame 7
  Spans out;
  EXPECT_EQ(reader.consumeTo(13, out), 6u);  // frames 7, 8, 9 | 0, 1, 2
  ASSERT_EQ(out.spans.size(), 2u);
  EXPECT_EQ(out.spans[0], std::vector<uint8_t>(buffer.begin() + 28, buffer.end()));
  EXPECT_EQ(out.spans[1], std::vector<uint8_t>(buffer.begin(), buffer.begin() + 12));
}

TEST(CyclicBufferReader, EndingExactlyAtTheBufferEndIsOneSpan) {
  const auto buffer = numbered(40);
  CyclicBufferReader reader;
  reader.attach(buffer.data(), 40, 4, 5);
  Spans out;
  reader.consumeTo(10, out);
  EXPECT_EQ(out.spans.size(), 1u);
  reader.consumeTo(20, out);  // a whole buffer from its start
  ASSERT_EQ(out.spans.size(), 2u);
  EXPECT_EQ(out.spans[1], buffer);
  EXPECT_EQ(reader.skippedFrames(), 0u) << "exactly one buffer late is not too late";
}

TEST(CyclicBufferReader, MoreThanOneBufferLateClampsToTheNewestBuffer) {
  const auto buffer = numbered(40);
  CyclicBufferReader reader;
  reader.attach(buffer.data(), 40, 4);
  Spans out;
  EXPECT_EQ(reader.consumeTo(27, out), 10u);  // 27 frames played, only 10 still in the buffer
  EXPECT_EQ(reader.skippedFrames(), 17u);
  EXPECT_EQ(reader.nextFrame(), 27u);
  // Frames 17..26: offsets 7, 8, 9 then 0..6.
  std::vector<uint8_t> expected(buffer.begin() + 28, buffer.end());
  expected.insert(expected.end(), buffer.begin(), buffer.begin() + 28);
  EXPECT_EQ(out.joined(), expected);
}

TEST(CyclicBufferReader, OnlyWholeFramesOfTheBufferAreUsed) {
  const auto buffer = numbered(43);  // 7 frames of 6 bytes + 1 spare byte
  CyclicBufferReader reader;
  reader.attach(buffer.data(), 43, 6, 5);
  EXPECT_EQ(reader.bufferFrames(), 7u);
  Spans out;
  reader.consumeTo(9, out);  // frames 5, 6 | 0, 1
  ASSERT_EQ(out.spans.size(), 2u);
  EXPECT_EQ(out.spans[0], std::vector<uint8_t>(buffer.begin() + 30, buffer.begin() + 42));
  EXPECT_EQ(out.spans[1], std::vector<uint8_t>(buffer.begin(), buffer.begin() + 12));
}

TEST(CyclicBufferReader, NoBufferReadsNothingAndCountsSkipped) {
  CyclicBufferReader reader;
  reader.attach(nullptr, 4096, 4);
  Spans out;
  EXPECT_EQ(reader.consumeTo(100, out), 0u);
  EXPECT_TRUE(out.spans.empty());
  EXPECT_EQ(reader.skippedFrames(), 100u);
}

TEST(CyclicBufferReader, PositionsBeyond32BitsKeepTheRightOffset) {
  const auto buffer = numbered(12);  // 3 frames of 4 bytes
  CyclicBufferReader reader;
  const uint64_t start = (uint64_t{1} << 40) + 1;  // offset frame 1 (2^40 % 3 == 1) -> 2
  reader.attach(buffer.data(), 12, 4, start);
  Spans out;
  reader.consumeTo(start + 1, out);
  ASSERT_EQ(out.spans.size(), 1u);
  EXPECT_EQ(out.spans[0][0], static_cast<uint8_t>(((start % 3) * 4)));
}

}  // namespace
}  // namespace scream::driver
