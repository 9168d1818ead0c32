#include "sender/ivshmem_writer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "sender/pacer.h"

namespace scream::sender {

namespace {

constexpr size_t kReadFrames = 4096;  // frames pulled from the source per read

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
  const uint32_t frames = driver::IvshmemRingWriter::chunkFrames(format.sampleRate, chunkMs_);
  switch (ring_.start(format, frames)) {
    case driver::IvshmemRingWriter::StartError::kOk:
      return true;
    case driver::IvshmemRingWriter::StartError::kTooSmall:
      *error = "IVSHMEM file of " + std::to_string(bytes_) + " bytes holds fewer than 2 chunks of " +
               std::to_string(size_t{frames} * format.bytesPerFrame()) +
               " bytes; use a larger --ivshmem-size";
      return false;
    case driver::IvshmemRingWriter::StartError::kBadFormat:
      *error = "IVSHMEM: sample rate not encodable";
      return false;
    case driver::IvshmemRingWriter::StartError::kNoMemory:
      break;
  }
  *error = "IVSHMEM: no mapping";
  return false;
}

void IvshmemWriter::write(const uint8_t* pcm, size_t bytes) { ring_.write(pcm, bytes); }

void IvshmemWriter::stop() {
  if (!ring_.started()) return;
  published_ += ring_.published();
  ring_.stop();
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
