#include "ivshmem_reader.h"
#include "receivers/core/monotonic_clock.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace scream::receiver {

using protocol::IvshmemHeader;

namespace {

// The header lives in memory another process writes: every field is read with an atomic load so
// the compiler neither tears nor caches it. writeIdx is loaded with acquire, pairing with the
// writer's release store after it copied the chunk.
template <typename T>
T loadField(const uint8_t* base, size_t offset, int order = __ATOMIC_RELAXED) {
  return __atomic_load_n(reinterpret_cast<const T*>(base + offset), order);
}

}  // namespace

const char* describe(IvshmemHeaderError error) {
  switch (error) {
    case IvshmemHeaderError::kOk: return "ok";
    case IvshmemHeaderError::kTruncated: return "file smaller than the 24-byte header";
    case IvshmemHeaderError::kBadOffset: return "chunk offset points into the header";
    case IvshmemHeaderError::kBadFormat: return "rate, bits or channels not playable";
    case IvshmemHeaderError::kChunkNotFrames: return "chunk size is not a whole number of frames";
    case IvshmemHeaderError::kTooFewChunks: return "fewer than 2 chunks";
    case IvshmemHeaderError::kBeyondMapping: return "chunks extend beyond the end of the file";
    case IvshmemHeaderError::kWriteIdxOutOfRange: return "write index beyond the last chunk";
  }
  return "unknown";
}

IvshmemHeaderError checkIvshmemHeader(const IvshmemHeader& h, size_t mappingBytes,
                                      IvshmemLayout* layout) {
  if (mappingBytes < sizeof(IvshmemHeader)) return IvshmemHeaderError::kTruncated;
  if (h.offset < sizeof(IvshmemHeader)) return IvshmemHeaderError::kBadOffset;
  protocol::Format format;
  format.sampleRate = protocol::decodeRateMarker(h.sampleRate);
  format.bitsPerSample = h.bitsPerSample;
  format.channels = h.channels;
  format.channelMask = h.channelMap;
  if (!protocol::isScreamRateMarker(h.sampleRate) ||
      protocol::validateFormat(format) != protocol::FormatError::kOk) {
    return IvshmemHeaderError::kBadFormat;
  }
  if (h.chunkSize == 0 || h.chunkSize % format.bytesPerFrame() != 0) {
    return IvshmemHeaderError::kChunkNotFrames;
  }
  if (h.maxChunks < 2) return IvshmemHeaderError::kTooFewChunks;
  // 64-bit: 65535 chunks of 4 GiB cannot overflow.
  const uint64_t end = uint64_t{h.offset} + uint64_t{h.maxChunks} * h.chunkSize;
  if (end > mappingBytes) return IvshmemHeaderError::kBeyondMapping;
  if (h.writeIdx >= h.maxChunks) return IvshmemHeaderError::kWriteIdxOutOfRange;
  layout->format = format;
  layout->offset = h.offset;
  layout->chunkBytes = h.chunkSize;
  layout->maxChunks = h.maxChunks;
  return IvshmemHeaderError::kOk;
}

IvshmemHeader loadIvshmemHeader(const uint8_t* base) {
  IvshmemHeader h{};
  // Acquire, pairing with the writer's release store of the magic after the other fields.
  h.magic = loadField<uint32_t>(base, offsetof(IvshmemHeader, magic), __ATOMIC_ACQUIRE);
  h.writeIdx = loadField<uint16_t>(base, offsetof(IvshmemHeader, writeIdx));
  h.offset = loadField<uint8_t>(base, offsetof(IvshmemHeader, offset));
  h.maxChunks = loadField<uint16_t>(base, offsetof(IvshmemHeader, maxChunks));
  h.chunkSize = loadField<uint32_t>(base, offsetof(IvshmemHeader, chunkSize));
  h.sampleRate = loadField<uint8_t>(base, offsetof(IvshmemHeader, sampleRate));
  h.bitsPerSample = loadField<uint8_t>(base, offsetof(IvshmemHeader, bitsPerSample));
  h.channels = loadField<uint8_t>(base, offsetof(IvshmemHeader, channels));
  h.channelMap = loadField<uint16_t>(base, offsetof(IvshmemHeader, channelMap));
  return h;
}

IvshmemReader::IvshmemReader(Clock clock)
    : clock_(clock ? std::move(clock) : Clock(monotonicNs)) {}

void IvshmemReader::attach(const uint8_t* base, size_t bytes) {
  base_ = base;
  bytes_ = bytes;
  state_ = State::kNoWriter;
  lastError_ = IvshmemHeaderError::kOk;
  sawNoWriter_ = true;
}

uint16_t IvshmemReader::loadWriteIdx() const {
  return __atomic_load_n(
      reinterpret_cast<const uint16_t*>(base_ + offsetof(IvshmemHeader, writeIdx)),
      __ATOMIC_ACQUIRE);
}

bool IvshmemReader::sameWriter(const IvshmemHeader& h) const {
  return h.offset == active_.offset && h.maxChunks == active_.maxChunks &&
         h.chunkSize == active_.chunkSize && h.sampleRate == active_.sampleRate &&
         h.bitsPerSample == active_.bitsPerSample && h.channels == active_.channels &&
         h.channelMap == active_.channelMap;
}

// Starts following a (new) header at the writer's current position: what was written before
// the reader looked is old audio. Except for a writer that was not there at the previous look
// (polls are sparse while idle): it starts at chunk 0 and fills chunk 1 first, so its first few
// chunks are new and are played.
bool IvshmemReader::adopt(const IvshmemHeader& h, int64_t lookNs) {
  IvshmemLayout layout;
  lastError_ = checkIvshmemHeader(h, bytes_, &layout);
  if (lastError_ != IvshmemHeaderError::kOk) {
    state_ = State::kBadHeader;
    return false;
  }
  active_ = h;
  layout_ = layout;
  // At least 1 ns: a header the checks let through has chunks of at least one frame.
  const uint64_t frames = layout.chunkBytes / layout.format.bytesPerFrame();
  chunkNs_ = static_cast<int64_t>(frames * 1'000'000'000u / layout.format.sampleRate) + 1;
  const bool fresh = sawNoWriter_ && int64_t{h.writeIdx} * (chunkNs_ - 1) <= kFreshStartNs;
  readIdx_ = fresh ? 0 : h.writeIdx;
  seenIdx_ = h.writeIdx;
  seenNs_ = lookNs;
  copy_.resize(layout.chunkBytes);
  state_ = State::kStreaming;
  ++starts_;
  return true;
}

IvshmemReader::Look IvshmemReader::look() {
  const int64_t startNs = clock_();
  // Seqlock order: the chunk copied before this point is read before writeIdx is, so a writer
  // that had started to overwrite it is seen to have moved on.
  std::atomic_thread_fence(std::memory_order_acquire);
  const uint16_t idx = loadWriteIdx();
  const int64_t endNs = clock_();
  const uint16_t n = layout_.maxChunks;
  if (idx >= n) return Look::kCorrupt;
  const uint32_t unread = (seenIdx_ + n - readIdx_) % n;  // complete chunks not yet handed on
  const uint32_t advanced = (idx + n - seenIdx_) % n;     // true only if the writer did not lap
  const int64_t slack = std::min<int64_t>(kWriterCatchUpNs / chunkNs_ + 1, n - 2);
  const int64_t mostPublished = (endNs - seenNs_) / chunkNs_ + slack;
  seenIdx_ = idx;
  seenNs_ = startNs;
  // The writer refills chunk readIdx_ + 1 after publishing n - unread more chunks.
  if (mostPublished >= n || unread + advanced >= n) return Look::kLapped;
  return Look::kFine;
}

int IvshmemReader::poll(const Handler& handler) {
  if (base_ == nullptr || bytes_ < sizeof(IvshmemHeader)) {
    state_ = State::kNoWriter;
    lastError_ = base_ == nullptr ? IvshmemHeaderError::kOk : IvshmemHeaderError::kTruncated;
    return 0;
  }
  const int64_t lookNs = clock_();
  const IvshmemHeader h = loadIvshmemHeader(base_);
  if (h.magic != protocol::kIvshmemMagic) {
    state_ = State::kNoWriter;
    sawNoWriter_ = true;
    return 0;
  }
  if (state_ != State::kStreaming || !sameWriter(h)) {
    adopt(h, lookNs);
    sawNoWriter_ = false;
    return 0;
  }

  const uint16_t n = layout_.maxChunks;
  int delivered = 0;
  Look seen = look();
  while (seen == Look::kFine && readIdx_ != seenIdx_) {
    const uint16_t next = static_cast<uint16_t>((readIdx_ + 1) % n);
    std::memcpy(copy_.data(), base_ + layout_.offset + size_t{next} * layout_.chunkBytes,
                layout_.chunkBytes);
    seen = look();  // is the copy what the writer had published?
    if (seen != Look::kFine) break;
    const IvshmemHeader now = loadIvshmemHeader(base_);
    if (now.magic != protocol::kIvshmemMagic || !sameWriter(now)) return delivered;  // restart
    protocol::Packet packet;
    packet.format = layout_.format;
    packet.pcm = copy_.data();
    packet.pcmBytes = copy_.size();
    readIdx_ = next;
    ++chunks_;
    ++delivered;
    handler(packet);  // may take long (a blocked output): the next look accounts for it
  }
  if (seen == Look::kCorrupt) {  // re-validated on the next poll
    state_ = State::kBadHeader;
    lastError_ = IvshmemHeaderError::kWriteIdxOutOfRange;
  } else if (seen == Look::kLapped) {
    ++laps_;
    readIdx_ = seenIdx_;  // the newest chunk: what was not read yet is gone or in doubt
  }
  return delivered;
}

}  // namespace scream::receiver
