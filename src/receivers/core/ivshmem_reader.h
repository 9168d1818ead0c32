// Reader side of the IVSHMEM ring (protocol/ivshmem_layout.h), on memory someone else maps: the
// header is validated against the mapping, chunks are followed through writeIdx, each chunk is
// copied out and checked for a lap before it is handed on. Knows no files; the clock is passed
// in, so unit tests and the fuzz target drive it on plain buffers and simulated time.
// Single-threaded; the writer is another process (or a VM) and is never trusted.
//
// Laps: writeIdx is a position in the ring, not a count, so a writer that went round the whole
// ring while the reader was stalled (descheduled, or its output blocked) looks exactly like one
// that did not. The reader bounds how far the writer can have got by the time since it last
// looked (one chunk per chunk duration, plus a catch-up allowance); when that bound reaches a
// whole ring it cannot tell a lap from none, so it counts a lap and skips to the newest chunk
// instead of handing on a chunk that may be a lap newer than it looks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "protocol/ivshmem_layout.h"
#include "protocol/packet.h"

namespace scream::receiver {

// Why a header (with the magic present) cannot be followed.
enum class IvshmemHeaderError : uint8_t {
  kOk = 0,
  kTruncated,          // the mapping is smaller than the 24-byte header
  kBadOffset,          // chunk area starts inside the header
  kBadFormat,          // rate marker, bits or channels not playable
  kChunkNotFrames,     // chunkSize 0 or not a whole number of frames
  kTooFewChunks,       // maxChunks < 2: no chunk could ever be read safely
  kBeyondMapping,      // offset + maxChunks * chunkSize exceeds the mapping
  kWriteIdxOutOfRange  // writeIdx >= maxChunks
};
const char* describe(IvshmemHeaderError error);

// What a valid header says, in the reader's units.
struct IvshmemLayout {
  protocol::Format format;
  size_t offset = 0;
  size_t chunkBytes = 0;
  uint16_t maxChunks = 0;
};

// Checks `header` as found at the start of a mapping of `mappingBytes` bytes. The magic is not
// checked here (absent magic means "no writer", not an error).
IvshmemHeaderError checkIvshmemHeader(const protocol::IvshmemHeader& header, size_t mappingBytes,
                                      IvshmemLayout* layout);

// A header snapshot with relaxed atomic loads of each field; `base` must be 4-byte aligned.
protocol::IvshmemHeader loadIvshmemHeader(const uint8_t* base);

class IvshmemReader {
 public:
  enum class State : uint8_t { kNoWriter, kBadHeader, kStreaming };
  using Handler = std::function<void(const protocol::Packet&)>;
  using Clock = std::function<int64_t()>;  // ns on a monotonic clock

  // A writer may fall behind real time (a busy guest, a late timer) and catch up in one burst:
  // the lap bound allows for this much of it, plus a partly filled chunk completing right after
  // a look. Capped for tiny rings at all but two chunks, so those can be read at all.
  static constexpr int64_t kWriterCatchUpNs = 100'000'000;

  // No clock: CLOCK_MONOTONIC.
  explicit IvshmemReader(Clock clock = {});

  // `base` (4-byte aligned) stays valid until attach() is called again or the reader is gone.
  void attach(const uint8_t* base, size_t bytes);

  // A writer seen starting (magic absent, or a new mapping, at the previous poll) with at most
  // this much audio written is played from its first chunk; any other from its newest. In time,
  // not chunks: 5 chunks of upstream's 20 ms, 20 of the driver's 5 ms (the idle poll is 50 ms).
  static constexpr int64_t kFreshStartNs = 100'000'000;

  // Delivers every chunk completed since the last call, oldest first; returns how many. A chunk
  // is copied out first and dropped if the writer may have overwritten it meanwhile (lapped):
  // then the reader skips ahead to the newest chunk. A changed header (writer restart, new
  // format) restarts the stream at the writer's current position.
  int poll(const Handler& handler);

  State state() const { return state_; }
  IvshmemHeaderError lastError() const { return lastError_; }
  const IvshmemLayout& layout() const { return layout_; }  // valid while kStreaming
  uint64_t chunks() const { return chunks_; }              // delivered
  uint64_t laps() const { return laps_; }                  // skips after being lapped
  uint64_t starts() const { return starts_; }              // headers adopted (writer starts)

 private:
  enum class Look : uint8_t { kFine, kLapped, kCorrupt };

  bool sameWriter(const protocol::IvshmemHeader& h) const;
  bool adopt(const protocol::IvshmemHeader& h, int64_t lookNs);
  uint16_t loadWriteIdx() const;
  // Reads writeIdx again: is chunk readIdx_ + 1 (and the copy taken of it since the last look)
  // still what the writer put there before the last look?
  Look look();

  const uint8_t* base_ = nullptr;
  size_t bytes_ = 0;
  State state_ = State::kNoWriter;
  IvshmemHeaderError lastError_ = IvshmemHeaderError::kOk;
  protocol::IvshmemHeader active_{};  // the header being followed
  IvshmemLayout layout_;
  Clock clock_;
  int64_t chunkNs_ = 0;       // audio in one chunk: the writer publishes no faster than this
  uint16_t readIdx_ = 0;      // last chunk delivered (or skipped)
  uint16_t seenIdx_ = 0;      // writeIdx at the last look
  int64_t seenNs_ = 0;        // when that look started
  bool sawNoWriter_ = false;  // the previous poll found no magic, or the mapping is new
  std::vector<uint8_t> copy_;
  uint64_t chunks_ = 0, laps_ = 0, starts_ = 0;
};

}  // namespace scream::receiver
