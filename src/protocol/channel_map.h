// Speaker positions from the Scream channel mask (KSAUDIO_SPEAKER_* bits). The only place in the
// project that knows which bit means which speaker: sinks ask here.
#pragma once

#include "format.h"

namespace scream::protocol {

// Bit i of the mask is Speaker(i). Bits 11-15 are the Windows "top" positions.
enum class Speaker : uint8_t {
  kFrontLeft = 0,     // FL
  kFrontRight,        // FR
  kFrontCenter,       // FC
  kLowFrequency,      // LFE
  kBackLeft,          // BL (rear left)
  kBackRight,         // BR
  kFrontLeftCenter,   // FLC
  kFrontRightCenter,  // FRC
  kBackCenter,        // BC
  kSideLeft,          // SL
  kSideRight,         // SR
  kTopCenter,         // TC
  kTopFrontLeft,      // TFL
  kTopFrontCenter,    // TFC
  kTopFrontRight,     // TFR
  kTopBackLeft,       // TBL
  kUndefined,         // channel beyond the set bits of the mask: no defined position
};
inline constexpr unsigned kMaskBits = 16;

// Short upper-case name ("FL", "LFE", ...); "UNDEF" for kUndefined.
const char* speakerName(Speaker speaker);

// Common masks (ksmedia.h values).
namespace masks {
inline constexpr uint16_t kMono = 0x4;
inline constexpr uint16_t kStereo = 0x3;
inline constexpr uint16_t kQuad = 0x33;
inline constexpr uint16_t kSurround5_1 = 0x3F;
inline constexpr uint16_t k7_1Surround = 0x63F;
}  // namespace masks

// Channel i takes the i-th set bit of the mask; channels beyond the set bits are kUndefined.
// Fills positions[0 .. channels) (channels is clamped to kMaxChannels) and returns how many
// channels have a defined position.
size_t speakersForMask(uint16_t mask, uint8_t channels, Speaker* positions);

// The mask Windows uses for a channel count: mono, stereo, quad, 5.1, 7.1; otherwise the lowest
// `channels` bits (3 ch = FL FR FC, 5 ch = FL FR FC LFE BL, 7 ch = 5.1 + FLC).
uint16_t defaultMaskForChannels(uint8_t channels);

}  // namespace scream::protocol
