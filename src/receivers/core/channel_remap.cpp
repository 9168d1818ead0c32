
#include "channel_remap.h"
#include "protocol/channel_map.h"

namespace scream::receiver {

using protocol::Speaker;

ChannelRemap::ChannelRemap(uint8_t sourceChannels, uint16_t sourceMask, uint8_t sinkChannels,
                           uint16_t sinkMask)
    : sourceChannels_(sourceChannels), sinkChannels_(sinkChannels) {
  Speaker src[protocol::kMaxChannels];
  Speaker dst[protocol::kMaxChannels];
  protocol::speakersForMask(sourceMask, sourceChannels, src);
  protocol::speakersForMask(sinkMask, sinkChannels, dst);
  identity_ = sourceChannels == sinkChannels;
  for (uint8_t o = 0; o < sinkChannels && o < protocol::kMaxChannels; ++o) {
    map_[o] = -1;
    gain_[o] = 1.0f;
    for (uint8_t i = 0; i < sourceChannels && i < protocol::kMaxChannels; ++i) {
      if (dst[o] != Speaker::kUndefined && src[i] == dst[o]) map_[o] = static_cast<int8_t>(i);
    }
    // Positions the source lacks: undefined channels pair up by index; a mono source (front
    // centre) feeds a front pair at -3 dB so mono is not lost on a stereo device.
    if (map_[o] < 0 && dst[o] == Speaker::kUndefined && o < sourceChannels &&
        src[o] == Speaker::kUndefined) {
      map_[o] = static_cast<int8_t>(o);
    }
    if (map_[o] < 0 && sourceChannels == 1 &&
        (dst[o] == Speaker::kFrontLeft || dst[o] == Speaker::kFrontRight)) {
      map_[o] = 0;
      gain_[o] = 0.70710678f;
    }
    if (map_[o] != static_cast<int8_t>(o) || gain_[o] != 1.0f) identity_ = false;
  }
}

void ChannelRemap::apply(const float* in, float* out, size_t frames) const noexcept {
  for (size_t f = 0; f < frames; ++f) {
    const float* frameIn = in + f * sourceChannels_;
    float* frameOut = out + f * sinkChannels_;
    for (uint8_t o = 0; o < sinkChannels_; ++o) {
      frameOut[o] = map_[o] < 0 ? 0.0f : frameIn[map_[o]] * gain_[o];
    }
  }
}

}  // namespace scream::receiver
