// Writer side of the IVSHMEM ring (protocol/ivshmem_layout.h) on a shared file (e.g.
// /dev/shm/scream-ivshmem): the file's mapping, written by driver/core's IvshmemRingWriter, the
// same code the Windows driver writes its device mapping with (chunking, index, wrap, header
// publish order). Chunks of 20 ms as upstream writes them unless setChunkMilliseconds() says
// otherwise (the Windows driver writes 5 ms). Used by scream-send --ivshmem (tests, Linux guests).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "driver/core/ivshmem_ring_writer.h"
#include "protocol/format.h"
#include "sender/send_loop.h"
#include "sender/source.h"

namespace scream::sender {

class IvshmemWriter {
 public:
  // Opens or creates `path` and makes it at least `bytes` long (a larger file is used whole and
  // never shrunk: a reader mapping it would fault past the new end). nullptr + *error on failure.
  static std::unique_ptr<IvshmemWriter> open(const std::string& path, size_t bytes,
                                             std::string* error);
  ~IvshmemWriter();  // stop(), unmap
  IvshmemWriter(const IvshmemWriter&) = delete;
  IvshmemWriter& operator=(const IvshmemWriter&) = delete;

  static constexpr uint32_t kDefaultChunkMs = 20;  // upstream's chunk length

  // Chunk length of the next start().
  void setChunkMilliseconds(uint32_t milliseconds) { chunkMs_ = milliseconds; }

  // Writes a fresh header for `format` (chunks of the set length, as many as fit) and publishes
  // it. Fails if fewer than 2 chunks fit.
  bool start(const protocol::Format& format, std::string* error);
  // Appends whole frames; every completed chunk is published at once.
  void write(const uint8_t* pcm, size_t bytes);
  // Zeroes the header: readers see the stream end. A partly filled chunk is dropped.
  void stop();

  size_t chunkBytes() const { return ring_.chunkBytes(); }
  uint16_t maxChunks() const { return ring_.maxChunks(); }
  uint64_t published() const { return published_ + (ring_.started() ? ring_.published() : 0); }
  size_t size() const { return bytes_; }

 private:
  IvshmemWriter(uint8_t* base, size_t bytes) : base_(base), bytes_(bytes) {
    ring_.attach(base, bytes);
  }

  uint8_t* base_;
  size_t bytes_;
  uint32_t chunkMs_ = kDefaultChunkMs;
  driver::IvshmemRingWriter ring_;
  uint64_t published_ = 0;  // chunks of the streams before the current one
};

// scream-send's loop for --ivshmem: the same pacing as the UDP loop (bursts every burstMs on
// CLOCK_MONOTONIC), frames go into the ring instead of datagrams. Stops like runSendLoop.
LoopStats runIvshmemLoop(Source& source, IvshmemWriter& writer, const LoopOptions& options,
                         const std::atomic<bool>& stop);

}  // namespace scream::sender
