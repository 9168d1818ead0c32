#include "sender/ivshmem_writer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "protocol/ivshmem_layout.h"
#include "sender/pacer.h"

namespace scream::sender {

using protocol::IvshmemHeader;

namespace {

constexpr uint32_t kChunksPerSecond = 50;  // 20 ms chunks, as the driver writes them
constexpr size_t kReadFrames = 4096;       // frames pulled from the source per read

template <typename T>
void storeField(uint8_t* base, size_t offset, T value, int order = __ATOMIC_RELAXED) {
  __atomic_store_n(reinterpret_cast<T*>(base + offset), value, order);
}

}  // namespace

std::unique_ptr<IvshmemWriter> IvshmemWriter::open(const std::string& path, size_t bytes,
                                                   std::string* error) {
  auto fail = [&](const char* what) {
    *error = std::string("--ivshmem ") + path + ": " + what + ": " + std::strerror(errno);
    return nullptr;
  };
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot open");
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    return fail("cannot stat");
  }
  const size_t size = std::max(bytes, static_cast<size_t>(st.st_size));
  if (static_cast<size_t>(st.st_size) < size && ftruncate(fd, static_cast<off_t>(size)) != 0) {
    close(fd);
    return fail("cannot resize");
  }
  void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);  // the mapping keeps the file
  if (map == MAP_FAILED) return fail("cannot map");
  return std::unique_ptr<IvshmemWriter>(new IvshmemWriter(static_cast<uint8_t*>(map), size));
}

IvshmemWriter::~IvshmemWriter() {
  stop();
  munmap(base_, bytes_);
}

bool IvshmemWriter::start(const protocol::Format& format, std::string* error) {
  stop();
  uint8_t marker = 0;
  if (protocol::encodeRateMarker(format.sampleRate, &marker) != protocol::FormatError::kOk) {
    *error = "IVSHMEM: sample rate not encodable";
    return false;
  }
  const size_t chunk = size_t{format.sampleRate / kChunksPerSecond} * format.bytesPerFrame();
  const size_t fit = bytes_ < protocol::kIvshmemChunkAreaOffset
                         ? 0
                         : (bytes_ - protocol::kIvshmemChunkAreaOffset) / chunk;
  if (fit < 2) {
    *error = "IVSHMEM file of " + std::to_string(bytes_) + " bytes holds fewer than 2 chunks of " +
             std::to_string(chunk) + " bytes; use a larger --ivshmem-size";
    return false;
  }
  chunkBytes_ = chunk;
  maxChunks_ = static_cast<uint16_t>(std::min<size_t>(fit, UINT16_MAX));
  writeIdx_ = 0;
  filled_ = 0;
  // The magic goes in last with release order: a reader that sees it sees the rest.
  storeField<uint16_t>(base_, offsetof(IvshmemHeader, writeIdx), 0);
  storeField<uint8_t>(base_, offsetof(IvshmemHeader, offset), protocol::kIvshmemChunkAreaOffset);
  storeField<uint16_t>(base_, offsetof(IvshmemHeader, maxChunks), maxChunks_);
  storeField<uint32_t>(base_, offsetof(IvshmemHeader, chunkSize), static_cast<uint32_t>(chunk));
  storeField<uint8_t>(base_, offsetof(IvshmemHeader, sampleRate), marker);
  storeField<uint8_t>(base_, offsetof(IvshmemHeader, bitsPerSample), format.bitsPerSample);
  storeField<uint8_t>(base_, offsetof(IvshmemHeader, channels), format.channels);
  storeField<uint16_t>(base_, offsetof(IvshmemHeader, channelMap), format.channelMask);
  storeField<uint32_t>(base_, offsetof(IvshmemHeader, magic), protocol::kIvshmemMagic,
                       __ATOMIC_RELEASE);
  started_ = true;
  return true;
}

void IvshmemWriter::write(const uint8_t* pcm, size_t bytes) {
  if (!started_) return;
  while (bytes > 0) {
    const uint16_t next = static_cast<uint16_t>((writeIdx_ + 1) % maxChunks_);
    uint8_t* chunk = base_ + protocol::kIvshmemChunkAreaOffset + size_t{next} * chunkBytes_;
    const size_t n = std::min(bytes, chunkBytes_ - filled_);
    std::memcpy(chunk + filled_, pcm, n);
    filled_ += n;
    pcm += n;
    bytes -= n;
    if (filled_ == chunkBytes_) {
      writeIdx_ = next;
      filled_ = 0;
      ++published_;
      storeField<uint16_t>(base_, offsetof(IvshmemHeader, writeIdx), next, __ATOMIC_RELEASE);
    }
  }
}

void IvshmemWriter::stop() {
  if (!started_) return;
  storeField<uint32_t>(base_, offsetof(IvshmemHeader, magic), 0, __ATOMIC_RELEASE);
  std::memset(base_ + sizeof(uint32_t), 0, sizeof(IvshmemHeader) - sizeof(uint32_t));
  started_ = false;
}

LoopStats runIvshmemLoop(Source& source, IvshmemWriter& writer, const LoopOptions& options,
                         const std::atomic<bool>& stop) {
  const protocol::Format format = source.format();
  std::vector<uint8_t> buffer(kReadFrames * format.bytesPerFrame());
  LoopStats stats;
  // Takes up to `frames` from the source into the ring; false once the source has ended.
  auto pull = [&](uint64_t frames) {
    while (frames > 0) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(frames, kReadFrames));
      const size_t got = source.read(buffer.data(), want);
      writer.write(buffer.data(), got * format.bytesPerFrame());
      stats.frames += got;
      frames -= got;
      if (got < want) {
        stats.sourceEnded = !stop.load();
        return false;
      }
    }
    return true;
  };
  bool done = false;
  if (source.deviceClocked()) {
    // read() blocks until the device has captured the frames: its clock paces the stream.
    const uint64_t burst =
        std::max<uint64_t>(uint64_t{format.sampleRate} * options.burstMs / 1000, 1);
    while (!done && !stop.load()) {
      done = !pull(std::min(burst, options.maxFrames - stats.frames)) ||
             stats.frames >= options.maxFrames;
    }
  }
  Pacer pacer(format.sampleRate, options.clockPpm, options.burstMs);
  pacer.start();
  while (!done && !stop.load()) {
    pacer.sleepUntilNextBurst();
    if (stop.load()) break;
    const uint64_t due = std::min(pacer.framesDue(), options.maxFrames);
    done = !pull(due - std::min(due, stats.frames)) || stats.frames >= options.maxFrames;
  }
  stats.datagrams = writer.published();  // chunks
  return stats;
}

}  // namespace scream::sender
