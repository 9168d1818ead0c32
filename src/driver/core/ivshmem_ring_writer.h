// Writer side of the IVSHMEM ring (protocol/ivshmem_layout.h, COMPAT.md), on memory someone else
// maps: the Windows driver writes the mapping of the ivshmem device, scream-send --ivshmem a
// shared file. Both use this class, so the layout, the chunking and the publish order are one.
//
// Layout: a 24-byte header, then maxChunks chunks of chunkSize bytes from offset 24. start()
// writes the header for a format; write() appends PCM, and each chunk that becomes complete is
// published by storing its index in writeIdx; stop() zeroes the header (the stream ended; a
// partly filled chunk is dropped). The first chunk written is chunk 1 (writeIdx starts at 0), as
// upstream's driver does.
//
// Publish order (upstream has no barriers at all): the chunk's bytes, then writeIdx; the header
// fields, then the magic, which is published last. Each publishing store is preceded by a full
// fence and is itself a release store: a reader that loads the magic (or writeIdx) with acquire
// sees everything written before it. The full fence (MFENCE on x86) matters where the mapping is
// write-combining, as virtio-win's ivshmem driver maps it: write-combined stores are not ordered
// by the x86 memory model, and a plain store could overtake the chunk's bytes. One fence per chunk
// (200 per second at 5 ms) costs nothing measurable.
//
// Chunk length is the caller's choice (frames per chunk). Upstream writes 20 ms; the driver
// writes 5 ms by default (SenderSettings::ivshmemChunkMs) for a lower latency floor. Chunks are
// whole frames.
//
// Freestanding (compiled into the Windows kernel driver): no heap, no exceptions, no waiting.
// Not thread-safe: one writer context at a time (the driver's work item, scream-send's loop).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocol/format.h"
#include "protocol/ivshmem_layout.h"

namespace scream::driver {

class IvshmemRingWriter {
 public:
  enum class StartError : uint8_t {
    kOk = 0,
    kNoMemory,     // attach() was not called, or with less than a header
    kBadFormat,    // rate, bits or channels not encodable in the header
    kTooSmall,     // fewer than 2 chunks fit
  };

  // Frames in a chunk of `milliseconds` at `rate` (at least one; 44.1 kHz and 5 ms: 220).
  static constexpr uint32_t chunkFrames(uint32_t rate, uint32_t milliseconds) {
    const uint64_t frames = uint64_t{rate} * milliseconds / 1000;
    return frames == 0 ? 1 : static_cast<uint32_t>(frames);
  }

  // The memory to write; it must stay mapped until detach() or another attach(). `base` must be
  // 4-byte aligned (the header's fields are stored atomically). Stops nothing: call stop() first
  // if a stream is running on the old memory.
  void attach(uint8_t* base, size_t bytes) {
    base_ = base;
    bytes_ = bytes;
    started_ = false;
  }
  void detach() { attach(nullptr, 0); }

  // Writes a fresh header for `format` with chunks of `framesPerChunk` frames (as many chunks as
  // fit, at most 65535) and publishes it, magic last. A running stream is stopped first.
  StartError start(const protocol::Format& format, uint32_t framesPerChunk) {
    stop();
    if (base_ == nullptr || bytes_ < sizeof(protocol::IvshmemHeader)) return StartError::kNoMemory;
    uint8_t marker = 0;
    if (protocol::validateFormat(format) != protocol::FormatError::kOk ||
        protocol::encodeRateMarker(format.sampleRate, &marker) != protocol::FormatError::kOk) {
      return StartError::kBadFormat;
    }
    const uint64_t chunk = uint64_t{framesPerChunk == 0 ? 1 : framesPerChunk} * format.bytesPerFrame();
    const uint64_t fit = (bytes_ - protocol::kIvshmemChunkAreaOffset) / chunk;
    if (fit < 2 || chunk > UINT32_MAX) return StartError::kTooSmall;
    chunkBytes_ = static_cast<uint32_t>(chunk);
    maxChunks_ = static_cast<uint16_t>(fit < UINT16_MAX ? fit : UINT16_MAX);
    writeIdx_ = 0;
    filled_ = 0;
    published_ = 0;
    clearHeader();  // whatever was there before: padding and reserved bytes are zero
    store<uint8_t>(offsetof(protocol::IvshmemHeader, offset), protocol::kIvshmemChunkAreaOffset);
    store<uint16_t>(offsetof(protocol::IvshmemHeader, maxChunks), maxChunks_);
    store<uint32_t>(offsetof(protocol::IvshmemHeader, chunkSize), chunkBytes_);
    store<uint8_t>(offsetof(protocol::IvshmemHeader, sampleRate), marker);
    store<uint8_t>(offsetof(protocol::IvshmemHeader, bitsPerSample), format.bitsPerSample);
    store<uint8_t>(offsetof(protocol::IvshmemHeader, channels), format.channels);
    store<uint16_t>(offsetof(protocol::IvshmemHeader, channelMap), format.channelMask);
    publish<uint32_t>(offsetof(protocol::IvshmemHeader, magic), protocol::kIvshmemMagic);
    started_ = true;
    return StartError::kOk;
  }

  // Appends PCM of the started format (any length; chunks need not end on a write). Every chunk
  // completed is published at once. Does nothing while not started.
  void write(const uint8_t* pcm, size_t bytes) {
    if (!started_) return;
    while (bytes > 0) {
      const uint16_t next = static_cast<uint16_t>((writeIdx_ + 1u) % maxChunks_);
      uint8_t* chunk = base_ + protocol::kIvshmemChunkAreaOffset + size_t{next} * chunkBytes_;
      const size_t room = chunkBytes_ - filled_;
      const size_t n = bytes < room ? bytes : room;
      memcpy(chunk + filled_, pcm, n);
      filled_ += static_cast<uint32_t>(n);
      pcm += n;
      bytes -= n;
      if (filled_ == chunkBytes_) {
        writeIdx_ = next;
        filled_ = 0;
        ++published_;
        publish<uint16_t>(offsetof(protocol::IvshmemHeader, writeIdx), next);
      }
    }
  }

  // Ends the stream: the magic goes first (a reader stops following at once), then the rest of
  // the header is zeroed, as upstream's driver leaves it. A partly filled chunk is dropped.
  void stop() {
    if (!started_) return;
    clearHeader();
    started_ = false;
  }

  bool started() const { return started_; }
  uint32_t chunkBytes() const { return chunkBytes_; }
  uint16_t maxChunks() const { return maxChunks_; }
  uint16_t writeIdx() const { return writeIdx_; }
  uint64_t published() const { return published_; }  // chunks since start()
  size_t pendingBytes() const { return filled_; }      // of the chunk not yet complete
  size_t size() const { return bytes_; }

 private:
  // The magic first (a reader stops following at once), then the other 20 bytes.
  void clearHeader() {
    publish<uint32_t>(offsetof(protocol::IvshmemHeader, magic), 0);
    for (size_t at = sizeof(uint32_t); at < sizeof(protocol::IvshmemHeader); at += 2) {
      store<uint16_t>(at, 0);
    }
  }

  template <typename T>
  void store(size_t offset, T value) {
    __atomic_store_n(reinterpret_cast<T*>(base_ + offset), value, __ATOMIC_RELAXED);
  }
  // Everything stored before is visible before this store, also through write-combining.
  template <typename T>
  void publish(size_t offset, T value) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(reinterpret_cast<T*>(base_ + offset), value, __ATOMIC_RELEASE);
  }

  uint8_t* base_ = nullptr;
  size_t bytes_ = 0;
  bool started_ = false;
  uint32_t chunkBytes_ = 0;
  uint16_t maxChunks_ = 0;
  uint16_t writeIdx_ = 0;  // last published chunk
  uint32_t filled_ = 0;    // bytes of chunk writeIdx_ + 1 written so far
  uint64_t published_ = 0;
};

}  // namespace scream::driver
