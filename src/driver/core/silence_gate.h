// Silence suppression: after `threshold` consecutive all-zero frames, audio stops being passed
// on (the caller flushes its packetizer and the stream goes quiet on the wire); the first frame
// that is not all zero passes again. The first `threshold` silent frames of a run still pass, so
// a receiver gets the tail of a sound before the stream stops.
//
// Upstream counts samples and compares them as 16- or 32-bit words, so at 24 bit it never sees
// silence. Here a frame is silent when all of its bytes are zero: for 16, 24 and 32 bit signed
// PCM a zero sample is all-zero bytes, so one rule fits every sample size, and frames are
// counted, not samples.
//
// `out(const uint8_t* bytes, size_t size, bool pass)` receives the input split at frame
// boundaries into runs that pass and runs that are suppressed, in order. A frame split across
// two calls is held (at most one frame) until it is complete. Threshold 0 = off: input passes
// through unchanged and unsplit.
//
// Freestanding (compiled into the Windows kernel driver): no heap, no exceptions.
#pragma once

#include <string.h>

#include "protocol/format.h"

namespace scream::driver {

class SilenceGate {
 public:
  // Starts over (not suppressing, no run counted, nothing held). Call at a frame boundary.
  void configure(uint32_t thresholdFrames, uint32_t bytesPerFrame) {
    threshold_ = thresholdFrames;
    bytesPerFrame_ =
        bytesPerFrame == 0 || bytesPerFrame > protocol::kMaxBytesPerFrame ? 1 : bytesPerFrame;
    silentRun_ = 0;
    held_ = 0;
    suppressing_ = false;
  }

  template <class Out>
  void process(const uint8_t* pcm, size_t bytes, Out&& out) {
    if (threshold_ == 0) {
      if (bytes > 0) out(pcm, bytes, true);
      return;
    }
    if (held_ > 0) {
      size_t need = bytesPerFrame_ - held_;
      if (need > bytes) need = bytes;
      memcpy(heldFrame_ + held_, pcm, need);
      held_ += static_cast<uint32_t>(need);
      pcm += need;
      bytes -= need;
      if (held_ < bytesPerFrame_) return;
      out(static_cast<const uint8_t*>(heldFrame_), size_t{bytesPerFrame_}, classify(heldFrame_));
      held_ = 0;
    }
    const uint8_t* runStart = pcm;
    size_t runBytes = 0;
    bool runPass = true;
    while (bytes >= bytesPerFrame_) {
      const bool pass = classify(pcm);
      if (runBytes > 0 && pass != runPass) {
        out(runStart, runBytes, runPass);
        runStart = pcm;
        runBytes = 0;
      }
      runPass = pass;
      runBytes += bytesPerFrame_;
      pcm += bytesPerFrame_;
      bytes -= bytesPerFrame_;
    }
    if (runBytes > 0) out(runStart, runBytes, runPass);
    if (bytes > 0) {
      memcpy(heldFrame_, pcm, bytes);
      held_ = static_cast<uint32_t>(bytes);
    }
  }

  bool suppressing() const { return suppressing_; }
  uint32_t threshold() const { return threshold_; }
  uint64_t suppressedFrames() const { return suppressedFrames_; }
  // Bytes of an incomplete frame waiting for the rest.
  uint32_t heldBytes() const { return held_; }

 private:
  static bool allZero(const uint8_t* frame, uint32_t size) {
    uint8_t any = 0;
    for (uint32_t i = 0; i < size; ++i) any |= frame[i];
    return any == 0;
  }

  // Decides one frame and updates the run; true = pass.
  bool classify(const uint8_t* frame) {
    if (!allZero(frame, bytesPerFrame_)) {
      silentRun_ = 0;
      suppressing_ = false;
      return true;
    }
    if (silentRun_ < threshold_) {
      ++silentRun_;
      return true;
    }
    suppressing_ = true;
    ++suppressedFrames_;
    return false;
  }

  uint8_t heldFrame_[protocol::kMaxBytesPerFrame] = {};
  uint32_t held_ = 0;
  uint32_t threshold_ = 0;
  uint32_t bytesPerFrame_ = 1;
  uint32_t silentRun_ = 0;  // silent frames passed in the current run (at most threshold_)
  uint64_t suppressedFrames_ = 0;
  bool suppressing_ = false;
};

}  // namespace scream::driver
