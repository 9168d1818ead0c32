// The IVSHMEM reader under load (issue 22): a real-time writer thread (the real IvshmemWriter)
// and the real IvshmemInput in another, while CPU hog threads keep every core busy. Every chunk
// carries its sequence number in every word, so a torn chunk, one out of place or one a lap newer
// than it should be is seen. Without stalls the output is byte-exact; with the reader stalled for
// longer than the ring holds, every gap is a counted lap and nothing wrong is ever handed on.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ivshmem_test_util.h"
#include "receivers/core/ivshmem_input.h"

namespace scream::receiver {
namespace {

using test::nowNs;

void sleepUntil(int64_t ns) {
  const timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

// Word i of chunk `seq` (1, 2, ...): the first is seq itself, the rest depend on both.
uint32_t wordOf(uint32_t seq, size_t i) {
  return i == 0 ? seq : seq * 0x9E3779B1u + static_cast<uint32_t>(i);
}

// The sequence number of a delivered chunk, or 0 if any word disagrees with it.
uint32_t seqOf(const protocol::Packet& p) {
  uint32_t first;
  std::memcpy(&first, p.pcm, 4);
  for (size_t i = 1; i < p.pcmBytes / 4; ++i) {
    uint32_t word;
    std::memcpy(&word, p.pcm + 4 * i, 4);
    if (word != wordOf(first, i)) return 0;
  }
  return first;
}

// Spinning threads, one per core and one more, for as long as they live.
class CpuHogs {
 public:
  CpuHogs() {
    const unsigned n = std::max(1u, std::thread::hardware_concurrency()) + 1;
    for (unsigned i = 0; i < n; ++i) {
      threads_.emplace_back([this] {
        volatile uint64_t x = 0;
        while (!stop_.load(std::memory_order_relaxed)) x = x + 1;
      });
    }
  }
  ~CpuHogs() {
    stop_ = true;
    for (std::thread& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// Publishes `seconds` of numbered chunks in 5 ms bursts from a thread of its own. The writer is
// the guest's audio timer (a DPC in the Windows driver): it runs on time however busy the
// machine is, so real-time priority when allowed (tests run as root).
void writeInRealTime(sender::IvshmemWriter& writer, const protocol::Format& format, size_t chunk,
                     double seconds) {
  std::thread thread([&] {
    sched_param realtime{};
    realtime.sched_priority = 30;
    pthread_setschedparam(pthread_self(), SCHED_FIFO, &realtime);
    std::vector<uint8_t> burst;
    const uint64_t totalBytes = static_cast<uint64_t>(seconds * 50) * chunk;
    const uint64_t bytesPerMs = uint64_t{format.sampleRate} * format.bytesPerFrame() / 1000;
    const int64_t start = nowNs();
    for (uint64_t done = 0, k = 1; done < totalBytes; ++k) {
      sleepUntil(start + static_cast<int64_t>(k) * 5'000'000);
      const uint64_t elapsedMs = static_cast<uint64_t>(nowNs() - start) / 1'000'000;
      const uint64_t due = std::min(totalBytes, elapsedMs * bytesPerMs);
      burst.resize(due > done ? due - done : 0);
      for (size_t b = 0; b < burst.size(); b += 4) {  // whole words: chunks are multiples of 4
        const uint64_t at = done + b;
        const uint32_t word = wordOf(static_cast<uint32_t>(at / chunk + 1), (at % chunk) / 4);
        std::memcpy(burst.data() + b, &word, 4);
      }
      writer.write(burst.data(), burst.size());
      done += burst.size();
    }
  });
  thread.join();
}

struct StressResult {
  uint32_t written = 0;             // chunks the writer published
  std::vector<uint32_t> seqs;       // sequence numbers handed on, in order (0: torn)
  std::vector<uint64_t> lapsBefore; // the reader's lap count when each was handed on
  uint64_t laps = 0;
  std::string notices;              // what IvshmemInput would have had scream-recv log
};

// The writer publishes `seconds` of audio as writeInRealTime does; the reader runs
// IvshmemInput::receive like scream-recv's loop. Every `stallEvery` chunks (0: never) the reader's
// handler stalls for stallMs, like an output that blocks.
StressResult runStress(const protocol::Format& format, size_t ringChunks, double seconds,
                       int stallEvery, int stallMs) {
  const std::string path = test::uniqueShmPath("stress");
  const size_t chunk = size_t{format.sampleRate / 50} * format.bytesPerFrame();
  std::string error;
  auto writer = sender::IvshmemWriter::open(path, 24 + ringChunks * chunk, &error);
  EXPECT_TRUE(writer) << error;
  if (!writer) return {};
  IvshmemInput input(path, 10);
  StressResult result;
  std::atomic<bool> writing{true};
  std::thread reader([&] {
    for (;;) {
      const bool writerDone = !writing.load();
      const int got = input.receive(20, [&](const protocol::Packet& p, int64_t) {
        result.seqs.push_back(seqOf(p));
        result.lapsBefore.push_back(input.reader().laps());
        const size_t n = result.seqs.size();
        if (stallEvery > 0 && n % static_cast<size_t>(stallEvery) == 0) {
          // 1x, 2x, 3x stallMs in turn: some within what the ring holds, some beyond it.
          const size_t times = 1 + (n / static_cast<size_t>(stallEvery)) % 3;
          std::this_thread::sleep_for(std::chrono::milliseconds(stallMs * static_cast<int>(times)));
        }
      });
      result.notices += input.takeNotice();
      if (writerDone && got == 0) return;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the reader maps the file
  EXPECT_TRUE(writer->start(format, &error)) << error;
  writeInRealTime(*writer, format, chunk, seconds);
  result.written = static_cast<uint32_t>(writer->published());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  writing = false;
  reader.join();
  result.laps = input.reader().laps();
  unlink(path.c_str());
  return result;
}

// Nothing torn, nothing out of order, and every gap in the sequence has a lap counted for it.
void expectNothingWrongHandedOn(const StressResult& r) {
  ASSERT_FALSE(r.seqs.empty());
  uint64_t lapsSeen = 0;
  for (size_t i = 0; i < r.seqs.size(); ++i) {
    ASSERT_NE(r.seqs[i], 0u) << "torn chunk at " << i;
    if (i == 0) continue;
    ASSERT_GT(r.seqs[i], r.seqs[i - 1]) << "out of order at " << i;
    if (r.seqs[i] != r.seqs[i - 1] + 1) {
      EXPECT_GT(r.lapsBefore[i], lapsSeen)
          << "chunks " << r.seqs[i - 1] + 1 << ".." << r.seqs[i] - 1
                                           << " skipped without a lap counted";
    }
    lapsSeen = r.lapsBefore[i];
  }
}

void expectByteExactUnderLoad(const protocol::Format& format, size_t ringChunks) {
  CpuHogs hogs;
  const StressResult r = runStress(format, ringChunks, 3, 0, 0);
  expectNothingWrongHandedOn(r);
  EXPECT_EQ(r.laps, 0u);
  ASSERT_EQ(r.seqs.size(), r.written) << "chunks lost";
  EXPECT_EQ(r.seqs.front(), 1u);
  EXPECT_EQ(r.seqs.back(), r.written);
}

TEST(IvshmemStress, ByteExactUnderCpuLoad48k16BitStereo) {
  expectByteExactUnderLoad({48000, 16, 2, 0x3}, 50);
}

TEST(IvshmemStress, ByteExactUnderCpuLoad192k32Bit8Channels) {
  expectByteExactUnderLoad({192000, 32, 8, 0x63F}, 50);
}

// A 10-chunk ring (200 ms) and a reader that stalls 150, 300 or 450 ms every 20 chunks: past
// the catch-up allowance (IvshmemReader::kWriterCatchUpNs), some past the whole ring, some
// round it more than once.
TEST(IvshmemStress, AReaderLappedDuringAStallCountsItAndNeverPlaysAWrongChunk) {
  CpuHogs hogs;
  const StressResult r = runStress({48000, 16, 2, 0x3}, 10, 4, 20, 150);
  expectNothingWrongHandedOn(r);
  EXPECT_GE(r.laps, 1u);
  EXPECT_NE(r.notices.find("fell behind the writer"), std::string::npos) << r.notices;
  std::printf("stalled reader: %zu of %u chunks handed on, %llu laps\n", r.seqs.size(), r.written,
              static_cast<unsigned long long>(r.laps));
}

}  // namespace
}  // namespace scream::receiver
