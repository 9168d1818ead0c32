// IvshmemReader against the real writer of scream-send, through a read-only mapping of the same
// file: start position, order across the wrap, laps, writer restarts and headers that lie.
#include "receivers/core/ivshmem_reader.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <chrono>
#include <thread>
#include <vector>

#include "ivshmem_test_util.h"

namespace scream::receiver {
namespace {

using test::ReadOnlyMapping;
using test::uniqueShmPath;

const protocol::Format kStereo{48000, 16, 2, 0x3};
constexpr size_t kStereoChunk = 960 * 4;

// One chunk whose every 16-bit word is `seq`: a torn copy shows as mixed words.
std::vector<uint8_t> chunkOf(uint16_t seq, size_t bytes) {
  std::vector<uint8_t> chunk(bytes);
  for (size_t i = 0; i + 1 < bytes; i += 2) {
    chunk[i] = static_cast<uint8_t>(seq);
    chunk[i + 1] = static_cast<uint8_t>(seq >> 8);
  }
  return chunk;
}

// The sequence number of a delivered chunk, or -1 if it is torn.
int seqOf(const protocol::Packet& p) {
  const uint16_t first = static_cast<uint16_t>(p.pcm[0] | (p.pcm[1] << 8));
  for (size_t i = 0; i + 1 < p.pcmBytes; i += 2) {
    if (static_cast<uint16_t>(p.pcm[i] | (p.pcm[i + 1] << 8)) != first) return -1;
  }
  return first;
}

struct Ring {
  std::string path;
  std::unique_ptr<sender::IvshmemWriter> writer;
  std::unique_ptr<ReadOnlyMapping> mapping;
  uint16_t nextSeq = 1;

  Ring(const char* name, size_t chunks, size_t chunkBytes = kStereoChunk) {
    path = uniqueShmPath(name);
    std::string error;
    writer = sender::IvshmemWriter::open(path, 24 + chunks * chunkBytes, &error);
    EXPECT_TRUE(writer) << error;
    mapping = std::make_unique<ReadOnlyMapping>(path);
  }
  void publish(int count, size_t chunkBytes = kStereoChunk) {
    for (int i = 0; i < count; ++i) {
      const std::vector<uint8_t> chunk = chunkOf(nextSeq++, chunkBytes);
      writer->write(chunk.data(), chunk.size());
    }
  }
};

TEST(IvshmemReader, WaitsWhileTheMagicIsAbsent) {
  Ring ring("nomagic", 8);
  IvshmemReader reader;
  reader.attach(ring.mapping->base(), ring.mapping->bytes());
  int calls = 0;
  EXPECT_EQ(reader.poll([&](const protocol::Packet&) { ++calls; }), 0);
  EXPECT_EQ(reader.state(), IvshmemReader::State::kNoWriter);
  EXPECT_EQ(calls, 0);
}

TEST(IvshmemReader, StartsAtTheWritersPositionAndDeliversInOrder) {
  Ring ring("order", 8);
  std::string error;
  ASSERT_TRUE(ring.writer->start(kStereo, &error)) << error;
  EXPECT_EQ(ring.writer->maxChunks(), 8);
  EXPECT_EQ(ring.writer->chunkBytes(), kStereoChunk);
  ring.publish(7);  // old audio: written before the reader looked, more than a fresh start
  IvshmemReader reader;
  reader.attach(ring.mapping->base(), ring.mapping->bytes());
  std::vector<int> seen;
  auto collect = [&](const protocol::Packet& p) {
    EXPECT_EQ(p.format, kStereo);
    EXPECT_EQ(p.pcmBytes, kStereoChunk);
    seen.push_back(seqOf(p));
  };
  EXPECT_EQ(reader.poll(collect), 0);
  EXPECT_EQ(reader.state(), IvshmemReader::State::kStreaming);
  ring.publish(5);
  EXPECT_EQ(reader.poll(collect), 5);
  EXPECT_EQ(seen, (std::vector<int>{8, 9, 10, 11, 12}));
  EXPECT_EQ(reader.poll(collect), 0);
}

// A reader that looked once before the writer started; the writer then publishes `before`
// chunks, the reader adopts the header, the writer publishes `after` more: what was delivered.
std::vector<int> deliveredAfterAStart(Ring& ring, int before, int after, size_t chunkBytes) {
  IvshmemReader reader;
  reader.attach(ring.mapping->base(), ring.mapping->bytes());
  std::vector<int> seen;
  auto collect = [&](const protocol::Packet& p) { seen.push_back(seqOf(p)); };
  EXPECT_EQ(reader.poll(collect), 0);  // no writer
  std::string error;
  EXPECT_TRUE(ring.writer->start(kStereo, &error)) << error;
  EXPECT_EQ(ring.writer->chunkBytes(), chunkBytes);
  ring.publish(before, chunkBytes);
  EXPECT_EQ(reader.poll(collect), 0);  // adopts
  ring.publish(after, chunkBytes);
  reader.poll(collect);
  return seen;
}

// Idle polls are sparse: a writer that appeared since the last one has written a chunk or two
// already. They are new audio and are played.
TEST(IvshmemReader, PlaysAFreshWriterFromItsFirstChunk) {
  Ring ring("fresh", 8);
  EXPECT_EQ(deliveredAfterAStart(ring, 2, 0, kStereoChunk), (std::vector<int>{1, 2}));
}

// The driver's 5 ms chunks: "fresh" is counted in time (100 ms), not in chunks, so a writer that
// wrote 20 chunks (100 ms) before the idle reader looked is still played from its first chunk,
// and one that wrote 21 is old audio, joined at its newest chunk.
TEST(IvshmemReader, FreshStartIsCountedInTimeForFiveMillisecondChunks) {
  constexpr size_t kShortChunk = 240 * 4;  // 5 ms of 48 kHz 16-bit stereo
  Ring fresh("fresh5ms", 64, kShortChunk);
  fresh.writer->setChunkMilliseconds(5);
  const std::vector<int> all = deliveredAfterAStart(fresh, 20, 1, kShortChunk);
  ASSERT_EQ(all.size(), 21u);
  EXPECT_EQ(all.front(), 1);
  Ring old("old5ms", 64, kShortChunk);
  old.writer->setChunkMilliseconds(5);
  EXPECT_EQ(deliveredAfterAStart(old, 21, 1, kShortChunk), (std::vector<int>{22}));
}

TEST(IvshmemReader, FollowsTheWrapWithoutLosingAChunk) {
  Ring ring("wrap", 4);
  std::string error;
  ASSERT_TRUE(ring.writer->start(kStereo, &error)) << error;
  IvshmemReader reader;
  reader.attach(ring.mapping->base(), ring.mapping->bytes());
  reader.poll([](const protocol::Packet&) {});
  int expected = 1;
  for (int round = 0; round < 200; ++round) {
    ring.publish(1 + round % 3);  // at most 3 of 4 chunks: never lapped
    reader.poll([&](const protocol::Packet& p) { EXPECT_EQ(seqOf(p), expected++); });
  }
  EXPECT_EQ(expected, ring.nextSeq);
  EXPECT_EQ(reader.laps(), 0u);
}

// The writer fills chunks while the reader is busy with one (simulated from inside the handler):
// the chunk the reader copies next may be the one being written, so it is dropped and the reader
// skips to the newest chunk instead of playing a torn or out-of-order chunk.
TEST(IvshmemReader, SkipsAheadWhenLapped) {
  Ring ring("lap", 4);
  std::string error;
  ASSERT_TRUE(ring.writer->start(kStereo, &error)) << error;
  IvshmemReader reader;
  reader.attach(ring.mapping->base(), ring.mapping->bytes());
  reader.poll([](const protocol::Packet&) {});
  ring.publish(2);  // seq 1, 2
  std::vector<int> seen;
  reader.poll([&](const protocol::Packet& p) {
    seen.push_back(seqOf(p));
    if (seen.size() == 1) ring.publish(3);  // seq 3..5: the writer may now be filling seq 2's slot
  });
  EXPECT_EQ(seen, (std::vector<int>{1}));
  EXPECT_EQ(reader.laps(), 1u);
  ring.publish(1);  // seq 6
  reader.poll([&](const protocol::Packet& p) { seen.push_back(seqOf(p)); });
  EXPECT_EQ(seen, (std::vector<int>{1, 6}));
}

constexpr int64_t kChunkNs = 20'000'000;  // 960 frames at 48 kHz

// A started ring of kRing chunks and a reader on simulated time (`now`) that has adopted its
// header. Large enough that the writer's catch-up allowance is well below a ring.
struct SimulatedTimeReader {
  static constexpr int kRing = 32;
  explicit SimulatedTimeReader(const char* name)
      : ring(name, kRing), reader([this] { return now; }) {
    std::string error;
    EXPECT_TRUE(ring.writer->start(kStereo, &error)) << error;
    reader.attach(ring.mapping->base(), ring.mapping->bytes());
    reader.poll([](const protocol::Packet&) {});
  }
  int64_t now = 0;
  Ring ring;
  IvshmemReader reader;
};

// writeIdx is a position, not a count: a writer that went round the whole ring while the reader
// was away looks like one that moved a chunk or two. The time since the reader last looked tells
// them apart; the lap is counted and the reader starts again at the newest chunk.
TEST(IvshmemReader, ALapWhileTheReaderWasAwayIsCountedNotPlayed) {
  SimulatedTimeReader t("lap-away");
  std::vector<int> seen;
  auto collect = [&](const protocol::Packet& p) { seen.push_back(seqOf(p)); };
  t.ring.publish(2);
  t.now += 2 * kChunkNs;
  EXPECT_EQ(t.reader.poll(collect), 2);
  t.ring.publish(t.kRing + 1);  // seq 3..35: writeIdx moved by one chunk modulo the ring
  t.now += (t.kRing + 1) * kChunkNs;
  EXPECT_EQ(t.reader.poll(collect), 0);
  EXPECT_EQ(t.reader.laps(), 1u);
  t.ring.publish(1);  // seq 36
  t.now += kChunkNs;
  EXPECT_EQ(t.reader.poll(collect), 1);
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 36}));
}

// The same while the handler blocks (an output that cannot keep up): the look after it counts.
TEST(IvshmemReader, ALapWhileTheHandlerBlockedIsCountedNotPlayed) {
  SimulatedTimeReader t("lap-blocked");
  t.ring.publish(2);
  std::vector<int> seen;
  t.reader.poll([&](const protocol::Packet& p) {
    seen.push_back(seqOf(p));
    if (seen.size() == 1) {
      t.ring.publish(t.kRing);  // writeIdx back where it was; chunk 2 holds seq 34 now
      t.now += t.kRing * kChunkNs;
    }
  });
  EXPECT_EQ(seen, (std::vector<int>{1}));
  EXPECT_EQ(t.reader.laps(), 1u);
}

// A writer that stood still while the reader was away for less than a ring is no lap.
TEST(IvshmemReader, AnIdleWriterIsNoLap) {
  SimulatedTimeReader t("idle-writer");
  t.now += 5 * kChunkNs;
  t.ring.publish(1);
  EXPECT_EQ(t.reader.poll([](const protocol::Packet& p) { EXPECT_EQ(seqOf(p), 1); }), 1);
  EXPECT_EQ(t.reader.laps(), 0u);
}

// A writer in another thread runs far faster than real time into a small ring while the reader
// dawdles: every chunk that comes out is whole and newer than the one before.
TEST(IvshmemReader, NeverDeliversATornOrOlderChunkUnderARacingWriter) {
  const protocol::Format mono{44100, 16, 1, 0x4};
  constexpr size_t kMonoChunk = 882 * 2;
  Ring ring("race", 64, kMonoChunk);
  std::string error;
  ASSERT_TRUE(ring.writer->start(mono, &error)) << error;
  IvshmemReader reader;
  reader.attach(ring.mapping->base(), ring.mapping->bytes());
  reader.poll([](const protocol::Packet&) {});
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop.load()) {
      ring.publish(1, kMonoChunk);
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  int last = 0, torn = 0, older = 0, delivered = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  for (int i = 0; std::chrono::steady_clock::now() < end; ++i) {
    delivered += reader.poll([&](const protocol::Packet& p) {
      const int seq = seqOf(p);
      if (seq < 0) {
        ++torn;
        return;
      }
      // 16-bit sequence: newer means 1..32767 ahead.
      const int ahead = (seq - last + 65536) % 65536;
      if (last != 0 && (ahead == 0 || ahead >= 32768)) ++older;
      last = seq;
    });
    std::this_thread::sleep_for(std::chrono::microseconds(i % 4 == 0 ? 4000 : 100));
  }
  stop = true;
  writer.join();
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(older, 0);
  EXPECT_GT(delivered, 100);
}

TEST(IvshmemReader, FollowsAWriterRestartWithANewFormat) {
  Ring ring("restart", 8, 3840 * 4);  // room for 4 chunks of 192 kHz 16-bit stereo
  std::string error;
  ASSERT_TRUE(ring.writer->start(kStereo, &error)) << error;
  IvshmemReader reader;
  reader.attach(ring.mapping->base(), ring.mapping->bytes());
  reader.poll([](const protocol::Packet&) {});
  ring.publish(2);
  EXPECT_EQ(reader.poll([](const protocol::Packet&) {}), 2);

  ring.writer->stop();
  EXPECT_EQ(reader.poll([](const protocol::Packet&) {}), 0);
  EXPECT_EQ(reader.state(), IvshmemReader::State::kNoWriter);

  const protocol::Format fast{192000, 16, 2, 0x3};
  ASSERT_TRUE(ring.writer->start(fast, &error)) << error;
  EXPECT_EQ(ring.writer->maxChunks(), 8);
  EXPECT_EQ(reader.poll([](const protocol::Packet&) {}), 0);  // adopts the new header
  EXPECT_EQ(reader.starts(), 2u);
  ring.publish(1, 3840 * 4);
  std::vector<protocol::Packet> got;
  EXPECT_EQ(reader.poll([&](const protocol::Packet& p) { got.push_back(p); }), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].format, fast);
  EXPECT_EQ(got[0].pcmBytes, 3840u * 4);
}

// Headers written by a broken or hostile writer: refused with a reason, never read through.
TEST(IvshmemReader, RefusesALyingHeaderAndRecoversWhenItIsFixed) {
  const std::string path = uniqueShmPath("lie");
  std::string error;
  auto writer = sender::IvshmemWriter::open(path, 24 + 4 * kStereoChunk, &error);
  ASSERT_TRUE(writer) << error;
  ASSERT_TRUE(writer->start(kStereo, &error)) << error;
  ReadOnlyMapping mapping(path);
  const int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  auto* rw = static_cast<protocol::IvshmemHeader*>(
      mmap(nullptr, sizeof(protocol::IvshmemHeader), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  close(fd);
  ASSERT_NE(rw, MAP_FAILED);

  IvshmemReader reader;
  reader.attach(mapping.base(), mapping.bytes());
  int calls = 0;
  auto count = [&](const protocol::Packet&) { ++calls; };
  rw->maxChunks = 5;  // one more chunk than the file holds
  EXPECT_EQ(reader.poll(count), 0);
  EXPECT_EQ(reader.state(), IvshmemReader::State::kBadHeader);
  EXPECT_EQ(reader.lastError(), IvshmemHeaderError::kBeyondMapping);
  rw->maxChunks = 4;
  rw->channels = 0;
  EXPECT_EQ(reader.poll(count), 0);
  EXPECT_EQ(reader.lastError(), IvshmemHeaderError::kBadFormat);
  rw->channels = 2;
  EXPECT_EQ(reader.poll(count), 0);
  EXPECT_EQ(reader.state(), IvshmemReader::State::kStreaming);
  rw->writeIdx = 9;  // corrupted while streaming
  EXPECT_EQ(reader.poll(count), 0);
  EXPECT_EQ(reader.state(), IvshmemReader::State::kBadHeader);
  EXPECT_EQ(calls, 0);
  munmap(rw, sizeof(protocol::IvshmemHeader));
}

TEST(IvshmemReader, ATruncatedMappingIsNoWriter) {
  alignas(8) uint8_t tiny[16] = {0x14, 0x20, 0x11, 0x11};  // the magic, and nothing else
  IvshmemReader reader;
  reader.attach(tiny, sizeof tiny);
  EXPECT_EQ(reader.poll([](const protocol::Packet&) {}), 0);
  EXPECT_EQ(reader.state(), IvshmemReader::State::kNoWriter);
  EXPECT_EQ(reader.lastError(), IvshmemHeaderError::kTruncated);
}

}  // namespace
}  // namespace scream::receiver
