// Maps the channels of a stream onto the sink's channels by speaker position, so a format change
// (say stereo -> 5.1) needs no device reopen. Built off the audio thread; apply() is real-time safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "protocol/format.h"

namespace scream::receiver {

class ChannelRemap {
 public:
  ChannelRemap() = default;
  ChannelRemap(uint8_t sourceChannels, uint16_t sourceMask, uint8_t sinkChannels, uint16_t sinkMask);

  // out has sinkChannels per frame, in has sourceChannels per frame.
  void apply(const float* in, float* out, size_t frames) const noexcept;
  bool identity() const { return identity_; }
  // Source channel feeding sink channel i, or -1 for silence.
  int sourceFor(size_t sinkChannel) const { return map_[sinkChannel]; }

 private:
  std::array<int8_t, protocol::kMaxChannels> map_{};
  std::array<float, protocol::kMaxChannels> gain_{};
  uint8_t sourceChannels_ = 0;
  uint8_t sinkChannels_ = 0;
  bool identity_ = true;
};

}  // namespace scream::receiver
