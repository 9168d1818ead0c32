#include "alsa_format.h"

#include <algorithm>

#include "protocol/channel_map.h"

namespace scream::receiver {

namespace {

constexpr AlsaSampleFormat kS16{SND_PCM_FORMAT_S16_LE, SampleFormat::kS16LE};
constexpr AlsaSampleFormat kS24{SND_PCM_FORMAT_S24_3LE, SampleFormat::kS24_3LE};
constexpr AlsaSampleFormat kS32{SND_PCM_FORMAT_S32_LE, SampleFormat::kS32LE};
constexpr AlsaSampleFormat kFloat{SND_PCM_FORMAT_FLOAT_LE, SampleFormat::kFloat32LE};

unsigned alsaPosition(protocol::Speaker speaker) {
  using protocol::Speaker;
  switch (speaker) {
    case Speaker::kFrontLeft: return SND_CHMAP_FL;
    case Speaker::kFrontRight: return SND_CHMAP_FR;
    case Speaker::kFrontCenter: return SND_CHMAP_FC;
    case Speaker::kLowFrequency: return SND_CHMAP_LFE;
    case Speaker::kBackLeft: return SND_CHMAP_RL;
    case Speaker::kBackRight: return SND_CHMAP_RR;
    case Speaker::kFrontLeftCenter: return SND_CHMAP_FLC;
    case Speaker::kFrontRightCenter: return SND_CHMAP_FRC;
    case Speaker::kBackCenter: return SND_CHMAP_RC;
    case Speaker::kSideLeft: return SND_CHMAP_SL;
    case Speaker::kSideRight: return SND_CHMAP_SR;
    case Speaker::kTopCenter: return SND_CHMAP_TC;
    case Speaker::kTopFrontLeft: return SND_CHMAP_TFL;
    case Speaker::kTopFrontCenter: return SND_CHMAP_TFC;
    case Speaker::kTopFrontRight: return SND_CHMAP_TFR;
    case Speaker::kTopBackLeft: return SND_CHMAP_TRL;
    case Speaker::kUndefined: break;
  }
  return SND_CHMAP_NA;
}

}  // namespace

std::vector<AlsaSampleFormat> sampleFormatPreference(uint8_t sourceBits) {
  switch (sourceBits) {
    case 16: return {kS16, kS32, kS24, kFloat};
    case 24: return {kS24, kS32, kFloat, kS16};
    default: return {kS32, kS24, kFloat, kS16};
  }
}

double deviceBufferMs(double targetLatencyMs) {
  if (targetLatencyMs <= 0) return 30;
  return std::clamp(targetLatencyMs * 0.6, 15.0, 100.0);
}

std::vector<unsigned> alsaPositionsForMask(uint16_t mask, uint8_t channels) {
  protocol::Speaker speakers[protocol::kMaxChannels];
  const uint8_t n = std::min<uint8_t>(channels, protocol::kMaxChannels);
  protocol::speakersForMask(mask, n, speakers);
  std::vector<unsigned> positions;
  for (uint8_t i = 0; i < n; ++i) positions.push_back(alsaPosition(speakers[i]));
  if (n == 1 && positions[0] == SND_CHMAP_FC) positions[0] = SND_CHMAP_MONO;
  return positions;
}

std::vector<unsigned> alsaDefaultOrder(const std::vector<unsigned>& positions) {
  static constexpr unsigned kOrder[] = {SND_CHMAP_FL, SND_CHMAP_FR,  SND_CHMAP_RL, SND_CHMAP_RR,
                                        SND_CHMAP_FC, SND_CHMAP_LFE, SND_CHMAP_SL, SND_CHMAP_SR};
  auto rank = [](unsigned position) {
    const auto* at = std::find(std::begin(kOrder), std::end(kOrder), position);
    return static_cast<size_t>(at - std::begin(kOrder));  // others: after the known ones
  };
  std::vector<unsigned> order = positions;
  std::stable_sort(order.begin(), order.end(),
                   [&](unsigned a, unsigned b) { return rank(a) < rank(b); });
  return order;
}

std::vector<unsigned> channelPermutation(const std::vector<unsigned>& stream,
                                         const std::vector<unsigned>& device) {
  constexpr unsigned kUnset = ~0u;
  std::vector<unsigned> from(device.size(), kUnset);
  std::vector<bool> used(stream.size(), false);
  for (size_t slot = 0; slot < device.size(); ++slot) {  // same position
    for (size_t ch = 0; ch < stream.size() && device[slot] != SND_CHMAP_NA; ++ch) {
      if (!used[ch] && stream[ch] == device[slot]) {
        from[slot] = static_cast<unsigned>(ch);
        used[ch] = true;
        break;
      }
    }
  }
  size_t next = 0;  // slots without a match take the unmatched channels in stream order
  for (unsigned& source : from) {
    if (source != kUnset) continue;
    while (next < stream.size() && used[next]) ++next;
    source = next < stream.size() ? static_cast<unsigned>(next++) : 0;
  }
  return from;
}

bool isIdentity(const std::vector<unsigned>& permutation) {
  for (size_t i = 0; i < permutation.size(); ++i) {
    if (permutation[i] != i) return false;
  }
  return true;
}

std::string positionNames(const std::vector<unsigned>& positions) {
  std::string names;
  for (unsigned p : positions) {
    if (!names.empty()) names += ' ';
    const char* name = snd_pcm_chmap_name(static_cast<snd_pcm_chmap_position>(p));
    names += name ? name : "?";
  }
  return names;
}

}  // namespace scream::receiver
