// Pure decisions of the ALSA sink, kept apart from the device so they read (and test) on their
// own: which sample formats to try, the device buffer for a latency target, the ALSA channel
// positions of a Scream mask, and the software reorder for devices without a channel-map API.
#pragma once

#include <alsa/asoundlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "receivers/core/pcm_convert.h"

namespace scream::receiver {

struct AlsaSampleFormat {
  snd_pcm_format_t alsa;
  SampleFormat convert;  // what floatToPcm writes for it
};

// The formats to offer the device, best first: the source's own depth when known (0 = unknown,
// then 32 bit, which carries 16 and 24 bit sources losslessly), else the nearest.
std::vector<AlsaSampleFormat> sampleFormatPreference(uint8_t sourceBits);

// Device buffer in ms for the engine's target latency (0 = adaptive): the engine's jitter buffer
// holds most of the latency; the device needs enough to ride out scheduling stalls.
double deviceBufferMs(double targetLatencyMs);

// ALSA positions (SND_CHMAP_*) of the channels of a Scream stream with this mask.
std::vector<unsigned> alsaPositionsForMask(uint16_t mask, uint8_t channels);

// ALSA's conventional order when a device cannot tell or take a map: FL FR RL RR FC LFE SL SR,
// then anything else in stream order.
std::vector<unsigned> alsaDefaultOrder(const std::vector<unsigned>& positions);

// For each device channel, the stream channel that feeds it: device slot i plays
// stream channel result[i]. Slots whose position the stream lacks take the stream's unmatched
// channels in order, so every channel plays somewhere once.
std::vector<unsigned> channelPermutation(const std::vector<unsigned>& stream,
                                         const std::vector<unsigned>& device);

bool isIdentity(const std::vector<unsigned>& permutation);

std::string positionNames(const std::vector<unsigned>& positions);

}  // namespace scream::receiver
