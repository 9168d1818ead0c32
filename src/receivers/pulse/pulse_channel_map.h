// Scream channel mask -> PulseAudio channel map, so 5.1 and 7.1 land on the right speakers.
#pragma once

#include <pulse/channelmap.h>

#include <cstdint>

namespace scream::receiver {

// Channel i takes the i-th set bit of the mask (protocol/channel_map.h); channels without a
// defined position become AUX0 + i. A single front-center channel is PulseAudio's MONO.
pa_channel_map pulseChannelMap(uint16_t mask, uint8_t channels);

}  // namespace scream::receiver
