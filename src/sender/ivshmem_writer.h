// Writer side of the IVSHMEM ring (protocol/ivshmem_layout.h), as the Windows driver writes it:
// 20 ms chunks into a shared file (e.g. /dev/shm/scream-ivshmem), writeIdx bumped after each
// chunk is complete, header zeroed when the stream ends. Used by scream-send --ivshmem (tests,
// Linux guests).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

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

  // Writes a fresh header for `format` (chunks of 20 ms, as many as fit) and publishes it.
  // Fails if fewer than 2 chunks fit.
  bool start(const protocol::Format& format, std::string* error);
  // Appends whole frames; every completed chunk is published at once.
  void write(const uint8_t* pcm, size_t bytes);
  // Zeroes the header: readers see the stream end. A partly filled chunk is dropped.
  void stop();

  size_t chunkBytes() const { return chunkBytes_; }
  uint16_t maxChunks() const { return maxChunks_; }
  uint64_t published() const { return published_; }
  size_t size() const { return bytes_; }

 private:
  IvshmemWriter(uint8_t* base, size_t bytes) : base_(base), bytes_(bytes) {}

  uint8_t* base_;
  size_t bytes_;
  bool started_ = false;
  size_t chunkBytes_ = 0;
  uint16_t maxChunks_ = 0;
  uint16_t writeIdx_ = 0;  // last published chunk
  size_t filled_ = 0;      // bytes of chunk writeIdx_ + 1 written so far
  uint64_t published_ = 0;
};

// scream-send's loop for --ivshmem: the same pacing as the UDP loop (bursts every burstMs on
// CLOCK_MONOTONIC), frames go into the ring instead of datagrams. Stops like runSendLoop.
LoopStats runIvshmemLoop(Source& source, IvshmemWriter& writer, const LoopOptions& options,
                         const std::atomic<bool>& stop);

}  // namespace scream::sender
