// Where scream-send's PCM comes from. The send loop pulls frames at the paced position: a
// source never decides timing, it only delivers the next frames in its format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "protocol/format.h"

namespace scream::sender {

inline constexpr uint64_t kNoMarker = UINT64_MAX;

class Source {
 public:
  virtual ~Source() = default;

  virtual const protocol::Format& format() const = 0;

  // Writes up to `frames` whole frames to `out` and returns how many it wrote. It may block until
  // data is there. Fewer than asked means the source has ended (end of file or stdin), or a
  // stop signal interrupted the wait; either way the send loop finishes.
  virtual size_t read(uint8_t* out, size_t frames) = 0;

  // For the status line, e.g. "tone" or "file:music.wav".
  virtual std::string describe() const = 0;

  // The first latency-marker frame at or after `frame`, or kNoMarker (only the tone has them).
  virtual uint64_t nextMarker(uint64_t /*frame*/) const { return kNoMarker; }

  // True for device sources (pulse, alsa, jack): read() blocks until the device has captured the
  // frames, so the device clock paces the stream and the send loop must not pace it again.
  virtual bool deviceClocked() const { return false; }
};

}  // namespace scream::sender
