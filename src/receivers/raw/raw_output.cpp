#include "raw_output.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>

namespace scream::receiver {

bool RawOutput::onPacket(const protocol::Packet& packet) {
  if (!haveFormat_ || packet.format != format_) {
    format_ = packet.format;
    haveFormat_ = true;
    spdlog::info("raw: format {} Hz, {} bit, {} channels, mask 0x{:x}", format_.sampleRate,
                 format_.bitsPerSample, format_.channels, format_.channelMask);
  }
  const uint8_t* p = packet.pcm;
  size_t left = packet.pcmBytes;
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
    bytes_ += static_cast<uint64_t>(n);
  }
  return true;
}

}  // namespace scream::receiver
