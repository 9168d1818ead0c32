#include "ivshmem_reader.h"

#include <cstring>

namespace scream::receiver {

using protocol::IvshmemHeader;

namespace {

// The header lives in memory another process writes: every field is read with an atomic load so
// the compiler neither tears nor caches it. writeIdx is loaded with acquire, pairing with the
// writer's release store after it copied the chunk.
template <typename T>
T loadField(const uint8_t* base, size_t offset) {
  return __atomic_load_n(reinterpret_cast<const T*>(base + offset), __ATOMIC_RELAXED);
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
  if (protocol::validateFormat(format) != protocol::FormatError::kOk) {
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
  h.magic = loadField<uint32_t>(base, offsetof(IvshmemHeader, magic));
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
bool IvshmemReader::adopt(const IvshmemHeader& h) {
  IvshmemLayout layout;
  lastError_ = checkIvshmemHeader(h, bytes_, &layout);
  if (lastError_ != IvshmemHeaderError::kOk) {
    state_ = State::kBadHeader;
    return false;
  }
  active_ = h;
  layout_ = layout;
  const bool fresh = sawNoWriter_ && h.writeIdx <= kFreshStartChunks;
  readIdx_ = fresh ? 0 : h.writeIdx;
  copy_.resize(layout.chunkBytes);
  state_ = State::kStreaming;
  ++starts_;
  return true;
}

int IvshmemReader::poll(const Handler& handler) {
  if (base_ == nullptr || bytes_ < sizeof(IvshmemHeader)) {
    state_ = State::kNoWriter;
    lastError_ = base_ == nullptr ? IvshmemHeaderError::kOk : IvshmemHeaderError::kTruncated;
    return 0;
  }
  const IvshmemHeader h = loadIvshmemHeader(base_);
  if (h.magic != protocol::kIvshmemMagic) {
    state_ = State::kNoWriter;
    sawNoWriter_ = true;
    return 0;
  }
  if (state_ != State::kStreaming || !sameWriter(h)) {
    adopt(h);
    sawNoWriter_ = false;
    return 0;
  }

  const uint16_t n = layout_.maxChunks;
  int delivered = 0;
  uint16_t w = loadWriteIdx();
  while (readIdx_ != w) {
    if (w >= n) {  // corrupted under us; re-validated on the next poll
      state_ = State::kBadHeader;
      lastError_ = IvshmemHeaderError::kWriteIdxOutOfRange;
      return delivered;
    }
    const uint32_t behind = (w + n - readIdx_) % n;  // complete chunks not yet read
    const uint16_t next = static_cast<uint16_t>((readIdx_ + 1) % n);
    std::memcpy(copy_.data(), base_ + layout_.offset + size_t{next} * layout_.chunkBytes,
                layout_.chunkBytes);
    const uint16_t after = loadWriteIdx();
    // The writer fills chunk writeIdx + 1 before it publishes it, so during the copy it touched
    // the chunks w + 1 .. after + 1. Ours sits `behind` chunks before w + 1 in the ring.
    const uint32_t advanced = after < n ? (after + n - w) % n : n;
    const IvshmemHeader now = loadIvshmemHeader(base_);
    if (now.magic != protocol::kIvshmemMagic || !sameWriter(now)) return delivered;  // restart
    if (behind + advanced >= n) {
      ++laps_;
      readIdx_ = after < n ? after : readIdx_;
      return delivered;
    }
    protocol::Packet packet;
    packet.format = layout_.format;
    packet.pcm = copy_.data();
    packet.pcmBytes = copy_.size();
    handler(packet);
    readIdx_ = next;
    ++chunks_;
    ++delivered;
    w = after;
  }
  return delivered;
}

}  // namespace scream::receiver
