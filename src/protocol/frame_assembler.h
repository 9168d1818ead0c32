// Reassembles whole frames from the PCM byte stream of consecutive datagrams. With 5 or 7
// channels a frame straddles two datagrams; the fragment at the end of one packet is carried over
// and completed by the start of the next. Whole frames inside a packet are passed through without
// a copy.
//
// `out(const uint8_t* frames, size_t frameCount)` receives whole frames only.
#pragma once

#include <string.h>

#include "format.h"

namespace scream::protocol {

class FrameAssembler {
 public:
  // Starts a new stream: any carried fragment belongs to the old one and is discarded.
  void reset(uint32_t bytesPerFrame) {
    bytesPerFrame_ = bytesPerFrame == 0 || bytesPerFrame > kMaxBytesPerFrame ? 1 : bytesPerFrame;
    carried_ = 0;
  }

  template <class Out>
  void push(const uint8_t* pcm, size_t bytes, Out&& out) {
    if (carried_ > 0) {
      size_t need = bytesPerFrame_ - carried_;
      if (need > bytes) need = bytes;
      memcpy(carry_ + carried_, pcm, need);
      carried_ += static_cast<uint32_t>(need);
      pcm += need;
      bytes -= need;
      if (carried_ < bytesPerFrame_) return;
      out(static_cast<const uint8_t*>(carry_), size_t{1});
      carried_ = 0;
    }
    const size_t frames = bytes / bytesPerFrame_;
    if (frames > 0) out(pcm, frames);
    const size_t rest = bytes - frames * bytesPerFrame_;
    memcpy(carry_, pcm + frames * bytesPerFrame_, rest);
    carried_ = static_cast<uint32_t>(rest);
  }

  // Bytes of an incomplete frame waiting for the next packet.
  uint32_t carriedBytes() const { return carried_; }
  uint32_t bytesPerFrame() const { return bytesPerFrame_; }

 private:
  uint8_t carry_[kMaxBytesPerFrame] = {};
  uint32_t carried_ = 0;
  uint32_t bytesPerFrame_ = 1;
};

}  // namespace scream::protocol
