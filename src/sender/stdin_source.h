// `stdin`: raw interleaved little-endian PCM in the format given on the command line.
#pragma once

#include "sender/source.h"

namespace scream::sender {

class StdinSource : public Source {
 public:
  explicit StdinSource(const protocol::Format& format, int fd = 0);

  const protocol::Format& format() const override { return format_; }
  // Blocks until `frames` frames arrived or the input ended; a signal interrupts the wait (the
  // frames read so far are returned, and the caller sees its stop flag).
  size_t read(uint8_t* out, size_t frames) override;
  std::string describe() const override { return "stdin"; }

  bool ended() const { return ended_; }

 private:
  protocol::Format format_;
  int fd_;
  size_t carried_ = 0;  // bytes of an incomplete frame at the start of the next read
  uint8_t carry_[protocol::kMaxBytesPerFrame] = {};
  bool ended_ = false;
};

}  // namespace scream::sender
