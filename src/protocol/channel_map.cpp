#include "channel_map.h"

namespace scream::protocol {

const char* speakerName(Speaker speaker) {
  static const char* const kNames[] = {"FL",  "FR",  "FC", "LFE", "BL",  "BR",  "FLC", "FRC", "BC",
                                       "SL",  "SR",  "TC", "TFL", "TFC", "TFR", "TBL", "UNDEF"};
  const unsigned index = static_cast<unsigned>(speaker);
  return index < sizeof(kNames) / sizeof(kNames[0]) ? kNames[index] : "UNDEF";
}

size_t speakersForMask(uint16_t mask, uint8_t channels, Speaker* positions) {
  if (channels > kMaxChannels) channels = kMaxChannels;
  size_t defined = 0;
  unsigned bit = 0;
  for (uint8_t ch = 0; ch < channels; ++ch) {
    while (bit < kMaskBits && !(mask & (1u << bit))) ++bit;
    if (bit < kMaskBits) {
      positions[ch] = static_cast<Speaker>(bit++);
      ++defined;
    } else {
      positions[ch] = Speaker::kUndefined;
    }
  }
  return defined;
}

uint16_t defaultMaskForChannels(uint8_t channels) {
  switch (channels) {
    case 1: return masks::kMono;
    case 2: return masks::kStereo;
    case 4: return masks::kQuad;
    case 6: return masks::kSurround5_1;
    case 8: return masks::k7_1Surround;
    default:
      if (channels == 0) return 0;
      if (channels > kMaxChannels) channels = kMaxChannels;
      return static_cast<uint16_t>((1u << channels) - 1u);
  }
}

}  // namespace scream::protocol
