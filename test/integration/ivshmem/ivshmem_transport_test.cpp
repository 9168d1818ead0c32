// scream-send --ivshmem -> shared file -> scream-recv -m -o raw: byte-exact over a soak, a writer
// restart with a new format and a larger file, garbage headers, and the idle reader's CPU.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "ivshmem_harness.h"
#include "protocol/ivshmem_layout.h"

namespace scream::testing {
namespace {

using namespace std::chrono_literals;

// The reader's stdout is a FIFO drained and compared while the stream runs: a soak at 192 kHz
// 32-bit 8 channels is 6 MB/s, more than is worth writing to disk.
void expectByteExact(const protocol::Format& format, double seconds, int sizeMiB,
                     const char* name) {
  const std::string dir = makeTempDir(std::string("ivshmem-") + name);
  const ShmFile shm(name);
  preCreate(shm.path, size_t(sizeMiB) << 20);
  const std::string fifo = dir + "/stdout.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  ToneMatcher matcher(format);
  std::thread drain([&] {
    const int fd = open(fifo.c_str(), O_RDONLY);  // returns once the reader opened its end
    if (fd < 0) return;
    std::vector<uint8_t> buffer(1 << 16);
    for (;;) {
      const ssize_t n = read(fd, buffer.data(), buffer.size());
      if (n <= 0) break;
      matcher.feed(buffer.data(), static_cast<size_t>(n));
    }
    close(fd);
  });
  auto reader = startRawReader(shm.path, fifo, dir + "/recv.stderr");
  auto writer = startToneWriter(shm.path, format, seconds, sizeMiB, dir);
  const int timeoutMs = static_cast<int>(seconds * 1000) + 30'000;
  EXPECT_EQ(writer->wait(timeoutMs), 0) << readFile(dir + "/send.stderr");
  std::this_thread::sleep_for(200ms);
  reader->signal(SIGTERM);
  EXPECT_EQ(reader->wait(5000), 0);
  drain.join();

  const uint64_t chunk = chunkBytes(format);
  const uint64_t published = static_cast<uint64_t>(std::llround(seconds * 50));
  const std::string log = readFile(dir + "/recv.stderr");
  std::printf("%s: joined at chunk %d, %llu bytes, first mismatch %lld\n", name,
              matcher.startChunk(), static_cast<unsigned long long>(matcher.bytes()),
              static_cast<long long>(matcher.firstMismatch()));
  ASSERT_GE(matcher.startChunk(), 0) << "output is not the tone\n" << log;
  EXPECT_LE(matcher.startChunk(), 2) << "the reader should be there before the first chunk";
  EXPECT_EQ(matcher.firstMismatch(), -1) << log;
  EXPECT_EQ(matcher.bytes(), (published - matcher.startChunk()) * chunk) << "chunks lost\n" << log;
}

TEST(IvshmemTransport, ByteExact48k16BitStereo) {
  expectByteExact({48000, 16, 2, 0x3}, std::min(10.0, soakSeconds()), 2, "exact-stereo");
}

// The soak of this area (SCREAM_SOAK_SECONDS, default 60).
TEST(IvshmemTransport, ByteExact192k32Bit8ChannelsSoak) {
  expectByteExact({192000, 32, 8, 0x63F}, soakSeconds(), 4, "exact-eight");
}

std::vector<uint8_t> toneBytes(const protocol::Format& f, size_t bytes) {
  sender::ToneSource tone(f);
  std::vector<uint8_t> out(bytes);
  tone.read(out.data(), bytes / f.bytesPerFrame());
  return out;
}

// The first writer stops (header zeroed); the next one needs a larger file and brings another
// format. The same receiver process plays both, each from its first chunk.
TEST(IvshmemTransport, FollowsAWriterRestartWithANewFormatAndALargerFile) {
  const std::string dir = makeTempDir("ivshmem-restart");
  const ShmFile shm("restart");
  preCreate(shm.path, 1 << 20);
  auto reader = startRawReader(shm.path, dir + "/stdout", dir + "/recv.stderr");
  const protocol::Format first{48000, 16, 2, 0x3}, second{44100, 24, 6, 0x3F};
  auto a = startToneWriter(shm.path, first, 1.0, 1, dir);
  EXPECT_EQ(a->wait(20'000), 0);
  // 20 ms of 44.1 kHz 24-bit 6 ch is 15876 bytes: 66 chunks fit 1 MiB; 4 MiB makes it grow.
  auto b = startToneWriter(shm.path, second, 1.0, 4, dir);
  EXPECT_EQ(b->wait(20'000), 0);
  std::this_thread::sleep_for(200ms);
  reader->signal(SIGTERM);
  EXPECT_EQ(reader->wait(5000), 0);
  struct stat st {};
  ASSERT_EQ(stat(shm.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 4 << 20);

  const std::string out = readFile(dir + "/stdout");
  const std::string log = readFile(dir + "/recv.stderr");
  const size_t firstBytes = 50 * chunkBytes(first), secondBytes = 50 * chunkBytes(second);
  ASSERT_EQ(out.size(), firstBytes + secondBytes) << log;
  const std::vector<uint8_t> wantA = toneBytes(first, firstBytes);
  const std::vector<uint8_t> wantB = toneBytes(second, secondBytes);
  EXPECT_EQ(std::memcmp(out.data(), wantA.data(), firstBytes), 0);
  EXPECT_EQ(std::memcmp(out.data() + firstBytes, wantB.data(), secondBytes), 0);
  EXPECT_NE(log.find("raw: format 44100 Hz, 24 bit, 6 channels"), std::string::npos) << log;
  EXPECT_NE(log.find("writer started: 44100 Hz 24 bit 6 ch"), std::string::npos) << log;
}

// Random headers with the magic set (huge chunk counts, offsets into the header, zero channels,
// write indexes past the end), a file truncated to less than a header and to nothing: the reader
// neither crashes nor spins, and plays the real writer that comes afterwards.
TEST(IvshmemTransport, GarbageAndTruncatedHeadersNeverCrashTheReader) {
  const std::string dir = makeTempDir("ivshmem-garbage");
  const ShmFile shm("garbage");
  preCreate(shm.path, 1 << 20);
  auto reader = startRawReader(shm.path, dir + "/stdout", dir + "/recv.stderr");
  std::mt19937 random(1234);
  const int fd = open(shm.path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 300; ++i) {
    uint8_t header[24];
    for (uint8_t& b : header) b = static_cast<uint8_t>(random());
    const uint32_t magic = protocol::kIvshmemMagic;
    std::memcpy(header, &magic, 4);
    if (i % 3 == 0) header[6] = 24;  // a plausible offset, so later checks are reached
    if (i % 50 == 10) {
      ASSERT_EQ(ftruncate(fd, i % 100 == 10 ? 10 : 0), 0);  // shorter than a header, or empty
    } else {
      ASSERT_EQ(ftruncate(fd, 1 << 20), 0);
      ASSERT_EQ(pwrite(fd, header, sizeof header, 0), static_cast<ssize_t>(sizeof header));
    }
    std::this_thread::sleep_for(3ms);
    ASSERT_TRUE(reader->running()) << readFile(dir + "/recv.stderr");
  }
  const uint8_t zeros[24] = {};
  ASSERT_EQ(pwrite(fd, zeros, sizeof zeros, 0), static_cast<ssize_t>(sizeof zeros));
  close(fd);
  std::this_thread::sleep_for(100ms);

  const protocol::Format format{48000, 16, 2, 0x3};
  auto writer = startToneWriter(shm.path, format, 1.0, 1, dir);
  EXPECT_EQ(writer->wait(20'000), 0);
  std::this_thread::sleep_for(200ms);
  reader->signal(SIGTERM);
  EXPECT_EQ(reader->wait(5000), 0) << "the reader died";
  const std::string out = readFile(dir + "/stdout");
  const std::string log = readFile(dir + "/recv.stderr");
  EXPECT_NE(log.find("ignoring the header"), std::string::npos) << log;
  ASSERT_GE(out.size(), 40 * chunkBytes(format)) << log;
  const std::vector<uint8_t> want = toneBytes(format, 50 * chunkBytes(format));
  // The tone, joined at a chunk boundary.
  const size_t skip = want.size() - out.size();
  EXPECT_EQ(skip % chunkBytes(format), 0u);
  EXPECT_EQ(std::memcmp(out.data(), want.data() + skip, out.size()), 0);
}

double idleCpuPercent(const std::string& shmPath, const std::string& dir) {
  auto reader = startRawReader(shmPath, dir + "/stdout", dir + "/recv.stderr");
  std::this_thread::sleep_for(1s);  // past start-up
  const int64_t before = cpuNs(reader->pid());
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(5s);
  const int64_t after = cpuNs(reader->pid());
  const double wallNs =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  reader->signal(SIGTERM);
  EXPECT_EQ(reader->wait(5000), 0);
  return 100.0 * static_cast<double>(after - before) / wallNs;
}

// Upstream's reader busy-spins in some of these states; this one sleeps.
TEST(IvshmemTransport, IdleReaderUsesUnderHalfAPercentOfACore) {
  const std::string dir = makeTempDir("ivshmem-idle");
  const ShmFile missing("idle-missing");
  const double noFile = idleCpuPercent(missing.path, dir);
  const ShmFile zeroed("idle-zeroed");
  preCreate(zeroed.path, 1 << 20);
  const double noWriter = idleCpuPercent(zeroed.path, dir);
  std::printf("idle reader CPU: %.3f %% (no file), %.3f %% (no writer)\n", noFile, noWriter);
  EXPECT_LT(noFile, 0.5);
  EXPECT_LT(noWriter, 0.5);
}

}  // namespace
}  // namespace scream::testing
