#include "pulse_channel_map.h"

#include "protocol/channel_map.h"

namespace scream::receiver {

namespace {

using protocol::Speaker;

pa_channel_position_t pulsePosition(Speaker speaker, unsigned index) {
  switch (speaker) {
    case Speaker::kFrontLeft: return PA_CHANNEL_POSITION_FRONT_LEFT;
    case Speaker::kFrontRight: return PA_CHANNEL_POSITION_FRONT_RIGHT;
    case Speaker::kFrontCenter: return PA_CHANNEL_POSITION_FRONT_CENTER;
    case Speaker::kLowFrequency: return PA_CHANNEL_POSITION_LFE;
    case Speaker::kBackLeft: return PA_CHANNEL_POSITION_REAR_LEFT;
    case Speaker::kBackRight: return PA_CHANNEL_POSITION_REAR_RIGHT;
    case Speaker::kFrontLeftCenter: return PA_CHANNEL_POSITION_FRONT_LEFT_OF_CENTER;
    case Speaker::kFrontRightCenter: return PA_CHANNEL_POSITION_FRONT_RIGHT_OF_CENTER;
    case Speaker::kBackCenter: return PA_CHANNEL_POSITION_REAR_CENTER;
    case Speaker::kSideLeft: return PA_CHANNEL_POSITION_SIDE_LEFT;
    case Speaker::kSideRight: return PA_CHANNEL_POSITION_SIDE_RIGHT;
    case Speaker::kTopCenter: return PA_CHANNEL_POSITION_TOP_CENTER;
    case Speaker::kTopFrontLeft: return PA_CHANNEL_POSITION_TOP_FRONT_LEFT;
    case Speaker::kTopFrontCenter: return PA_CHANNEL_POSITION_TOP_FRONT_CENTER;
    case Speaker::kTopFrontRight: return PA_CHANNEL_POSITION_TOP_FRONT_RIGHT;
    case Speaker::kTopBackLeft: return PA_CHANNEL_POSITION_TOP_REAR_LEFT;
    case Speaker::kUndefined: break;
  }
  return static_cast<pa_channel_position_t>(PA_CHANNEL_POSITION_AUX0 + index);
}

}  // namespace

pa_channel_map pulseChannelMap(uint16_t mask, uint8_t channels) {
  Speaker speakers[protocol::kMaxChannels];
  speakersForMask(mask, channels, speakers);
  pa_channel_map map;
  pa_channel_map_init(&map);
  map.channels = static_cast<uint8_t>(channels > protocol::kMaxChannels ? protocol::kMaxChannels
                                                                        : channels);
  for (unsigned i = 0; i < map.channels; ++i) map.map[i] = pulsePosition(speakers[i], i);
  if (map.channels == 1 && map.map[0] == PA_CHANNEL_POSITION_FRONT_CENTER) {
    map.map[0] = PA_CHANNEL_POSITION_MONO;
  }
  return map;
}

}  // namespace scream::receiver
