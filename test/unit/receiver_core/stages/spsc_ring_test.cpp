#include "receivers/core/spsc_ring.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

namespace scream::receiver {
namespace {

TEST(SpscRing, CapacityRoundsUpToAPowerOfTwo) {
  EXPECT_EQ(SpscRing<float>(1).capacity(), 1u);
  EXPECT_EQ(SpscRing<float>(3).capacity(), 4u);
  EXPECT_EQ(SpscRing<float>(1024).capacity(), 1024u);
  EXPECT_EQ(SpscRing<float>(1025).capacity(), 2048u);
  EXPECT_EQ(SpscRing<float>(0).capacity(), 1u);
}

TEST(SpscRing, WritesWhatFitsAndReadsInOrder) {
  SpscRing<int> ring(8);
  std::vector<int> in(10);
  std::iota(in.begin(), in.end(), 1);
  EXPECT_EQ(ring.write(in.data(), 10), 8u);
  EXPECT_EQ(ring.readAvailable(), 8u);
  EXPECT_EQ(ring.writeAvailable(), 0u);
  EXPECT_EQ(ring.write(in.data(), 1), 0u);
  std::vector<int> out(10, 0);
  EXPECT_EQ(ring.read(out.data(), 3), 3u);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[2], 3);
  EXPECT_EQ(ring.read(out.data(), 10), 5u);
  EXPECT_EQ(out[0], 4);
  EXPECT_EQ(out[4], 8);
  EXPECT_EQ(ring.read(out.data(), 1), 0u);
  EXPECT_EQ(ring.readAvailable(), 0u);
  EXPECT_EQ(ring.writeAvailable(), 8u);
}

TEST(SpscRing, WrapsAroundTheEndOfTheStorage) {
  SpscRing<uint32_t> ring(16);
  uint32_t next = 0, expected = 0;
  std::vector<uint32_t> buf(16);
  // Chunk sizes that do not divide 16, so copies straddle the end in every position.
  for (int round = 0; round < 200; ++round) {
    const size_t n = 1 + round % 11;
    for (size_t i = 0; i < n; ++i) buf[i] = next + static_cast<uint32_t>(i);
    const size_t wrote = ring.write(buf.data(), n);
    next += static_cast<uint32_t>(wrote);
    const size_t got = ring.read(buf.data(), 1 + round % 7);
    for (size_t i = 0; i < got; ++i) ASSERT_EQ(buf[i], expected++);
  }
  const size_t rest = ring.read(buf.data(), 16);
  for (size_t i = 0; i < rest; ++i) ASSERT_EQ(buf[i], expected++);
  EXPECT_EQ(expected, next);
  EXPECT_GT(next, 16u * 10);
}

TEST(SpscRing, DiscardDropsTheOldest) {
  SpscRing<int> ring(8);
  const int in[6] = {1, 2, 3, 4, 5, 6};
  ring.write(in, 6);
  EXPECT_EQ(ring.discard(4), 4u);
  int out[4] = {};
  EXPECT_EQ(ring.read(out, 4), 2u);
  EXPECT_EQ(out[0], 5);
  EXPECT_EQ(out[1], 6);
  ring.write(in, 3);
  EXPECT_EQ(ring.discard(10), 3u);
  EXPECT_EQ(ring.readAvailable(), 0u);
}

TEST(SpscRing, TwoThreadsLoseAndReorderNothing) {
  constexpr uint32_t kItems = 3'000'000;
  SpscRing<uint32_t> ring(1024);
  std::thread producer([&] {
    std::mt19937 rng(1);
    uint32_t chunk[257];
    uint32_t next = 0;
    while (next < kItems) {
      const uint32_t n = std::min<uint32_t>(1 + rng() % 257, kItems - next);
      for (uint32_t i = 0; i < n; ++i) chunk[i] = next + i;
      uint32_t done = 0;
      while (done < n) {
        const size_t wrote = ring.write(chunk + done, n - done);
        if (wrote == 0) std::this_thread::yield();
        done += static_cast<uint32_t>(wrote);
      }
      next += n;
    }
  });
  std::mt19937 rng(2);
  uint32_t chunk[300];
  uint32_t expected = 0;
  bool inOrder = true;
  while (expected < kItems) {
    const size_t got = ring.read(chunk, 1 + rng() % 300);
    if (got == 0) std::this_thread::yield();
    for (size_t i = 0; i < got; ++i) inOrder &= chunk[i] == expected++;
    if (rng() % 64 == 0) {
      // Occasionally just look, as the engine does, from the consumer side.
      EXPECT_LE(ring.readAvailable(), ring.capacity());
    }
  }
  producer.join();
  EXPECT_TRUE(inOrder);
  EXPECT_EQ(expected, kItems);
  EXPECT_EQ(ring.readAvailable(), 0u);
}

}  // namespace
}  // namespace scream::receiver
