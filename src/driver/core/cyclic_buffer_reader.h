// Reads what has been played out of a WaveRT cyclic buffer. The audio engine writes ahead of the
// play position; everything between the last read and the current play position is new and is
// handed to `span(const uint8_t* bytes, size_t size)` in order: at most two spans per call (the
// second when the region wraps around the end of the buffer).
//
// Positions are absolute frame counts since the stream started (they never wrap); the buffer
// offset is derived from them. Only whole frames of the buffer are used: a buffer of 1001 bytes
// with 4-byte frames holds 250 frames, and the driver reports positions modulo those 1000 bytes.
//
// Freestanding (compiled into the Windows kernel driver): no heap, no exceptions.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace scream::driver {

class CyclicBufferReader {
 public:
  // Attaches a buffer and starts reading at absolute frame `startFrame`. A null buffer, or one
  // shorter than a frame, reads nothing: every played frame then counts as skipped.
  void attach(const uint8_t* buffer, uint32_t bufferBytes, uint32_t bytesPerFrame,
              uint64_t startFrame = 0) {
    buffer_ = buffer;
    bytesPerFrame_ = bytesPerFrame == 0 ? 1 : bytesPerFrame;
    bufferFrames_ = buffer == nullptr ? 0 : bufferBytes / bytesPerFrame_;
    nextFrame_ = startFrame;
  }

  // Hands out frames [nextFrame, playedFrame). If the timer was late by more than one buffer,
  // the audio engine has already overwritten the oldest part: only the newest buffer's worth is
  // read and the frames before it are counted as skipped. Returns the frames handed out.
  template <class Span>
  uint64_t consumeTo(uint64_t playedFrame, Span&& span) {
    if (playedFrame <= nextFrame_) return 0;  // nothing new (or a position that went back)
    uint64_t frames = playedFrame - nextFrame_;
    if (frames > bufferFrames_) {
      skippedFrames_ += frames - bufferFrames_;
      nextFrame_ = playedFrame - bufferFrames_;
      frames = bufferFrames_;
    }
    if (frames == 0) return 0;
    const uint32_t first = static_cast<uint32_t>(nextFrame_ % bufferFrames_);
    uint64_t head = bufferFrames_ - first;  // frames until the end of the buffer
    if (head > frames) head = frames;
    span(static_cast<const uint8_t*>(buffer_ + size_t{first} * bytesPerFrame_),
         static_cast<size_t>(head * bytesPerFrame_));
    if (frames > head) {
      span(buffer_, static_cast<size_t>((frames - head) * bytesPerFrame_));
    }
    nextFrame_ = playedFrame;
    return frames;
  }

  uint64_t nextFrame() const { return nextFrame_; }
  uint32_t bufferFrames() const { return bufferFrames_; }
  uint32_t bytesPerFrame() const { return bytesPerFrame_; }
  // Frames never read because a tick came more than one buffer late.
  uint64_t skippedFrames() const { return skippedFrames_; }

 private:
  const uint8_t* buffer_ = nullptr;
  uint32_t bufferFrames_ = 0;
  uint32_t bytesPerFrame_ = 1;
  uint64_t nextFrame_ = 0;
  uint64_t skippedFrames_ = 0;
};

}  // namespace scream::driver
