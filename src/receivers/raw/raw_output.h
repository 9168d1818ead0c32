// `-o raw`: byte-exact pass-through of the PCM payload to a file descriptor (stdout), like
// upstream's raw receiver. Bypasses the engine: no jitter buffer, no resampling. Format changes
// are announced on stderr so a consumer can follow them.
#pragma once

#include "protocol/packet.h"

namespace scream::receiver {

class RawOutput {
 public:
  explicit RawOutput(int fd = 1) : fd_(fd) {}
  // Returns false once the reader has gone away (EPIPE) or another write error happened.
  bool onPacket(const protocol::Packet& packet);
  uint64_t bytesWritten() const { return bytes_; }

 private:
  int fd_;
  protocol::Format format_;
  bool haveFormat_ = false;
  uint64_t bytes_ = 0;
};

}  // namespace scream::receiver
