// Turns a PCM byte stream into Scream datagrams: always full 1152-byte payloads while the stream
// runs, frames straddling datagram boundaries where 1152 is not a whole number of frames (5 and 7
// channels). On a format change or stop, the partial payload leaves as a shorter datagram that
// ends on a frame boundary.
//
// The datagram under construction lives inside the Packetizer, which the caller places wherever
// it likes (stack, pool, kernel non-paged memory): no heap. Each finished datagram is handed to
// `emit(const uint8_t* datagram, size_t size)`, which must copy or send it before returning.
#pragma once

#include <string.h>

#include "header.h"

namespace scream::protocol {

class Packetizer {
 public:
  // Starts a stream in `format`. A pending payload of the previous format is flushed first.
  // An invalid format is refused and the packetizer keeps the format it had.
  template <class Emit>
  FormatError setFormat(const Format& format, Emit&& emit) {
    uint8_t header[kHeaderBytes];
    const FormatError error = encodeHeader(format, header);
    if (error != FormatError::kOk) return error;
    if (hasFormat_ && format == format_) return FormatError::kOk;
    flush(emit);
    memcpy(datagram_, header, kHeaderBytes);  // the header is rebuilt only here
    format_ = format;
    hasFormat_ = true;
    bytesPerFrame_ = format.bytesPerFrame();
    return FormatError::kOk;
  }

  // Appends PCM of the current format; any chunk size, any alignment. Without a format set the
  // bytes are dropped and counted (the caller has a bug; a kernel must not crash over it).
  template <class Emit>
  void write(const uint8_t* pcm, size_t bytes, Emit&& emit) {
    if (!hasFormat_) {
      droppedBytes_ += bytes;
      return;
    }
    while (bytes > 0) {
      size_t take = kPayloadBytes - fill_;
      if (take > bytes) take = bytes;
      memcpy(datagram_ + kHeaderBytes + fill_, pcm, take);
      fill_ += take;
      pcm += take;
      bytes -= take;
      framePhase_ = static_cast<uint32_t>((framePhase_ + take) % bytesPerFrame_);
      if (fill_ == kPayloadBytes) {
        emit(static_cast<const uint8_t*>(datagram_), kDatagramBytes);
        fill_ = 0;
      }
    }
  }

  // Sends what is pending as a shorter datagram of whole frames (stop, pause, format change).
  // A trailing incomplete frame cannot be sent and is dropped; returns the bytes dropped.
  template <class Emit>
  size_t flush(Emit&& emit) {
    if (!hasFormat_) return 0;
    // framePhase_ bytes at the end of the stream belong to a frame that never completed; those
    // still in the payload are cut off. (If the incomplete frame began in a datagram already
    // sent, the receiver discards that fragment when it sees the stream end.)
    const size_t incomplete = framePhase_ < fill_ ? framePhase_ : fill_;
    const size_t whole = fill_ - incomplete;
    if (whole > 0) emit(static_cast<const uint8_t*>(datagram_), kHeaderBytes + whole);
    fill_ = 0;
    framePhase_ = 0;
    droppedBytes_ += incomplete;
    return incomplete;
  }

  bool hasFormat() const { return hasFormat_; }
  const Format& format() const { return format_; }
  size_t pendingBytes() const { return fill_; }
  // Bytes that never left: written without a format, or cut off as an incomplete frame.
  uint64_t droppedBytes() const { return droppedBytes_; }

 private:
  uint8_t datagram_[kDatagramBytes] = {};
  size_t fill_ = 0;          // PCM bytes in the payload under construction
  uint32_t framePhase_ = 0;  // bytes into the current frame at the end of the stream so far
  uint32_t bytesPerFrame_ = 1;
  uint64_t droppedBytes_ = 0;
  Format format_;
  bool hasFormat_ = false;
};

}  // namespace scream::protocol
