// Sample format conversion at the two ends of the receiver: wire PCM (16, 24 packed or 32 bit
// signed little-endian) to float on the network thread before the jitter buffer, and float to the
// sink's format on the audio thread after the resampler and channel remap.
//
// Scale is 2^(bits-1) both ways, so full scale maps to [-1, 1) and 16 and 24 bit survive a round
// trip through float bit-exactly (float has a 24-bit mantissa). Bytes are assembled one by one:
// correct on any host byte order and for any alignment of the packet buffer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace scream::receiver {

enum class SampleFormat : uint8_t { kS16LE, kS24_3LE, kS32LE, kFloat32LE };

size_t bytesPerSample(SampleFormat format);

// `samples` counts samples, not frames. A bit depth other than 16, 24 or 32 yields silence (the
// packet validator never lets one through; silence is the safe answer if it did).
void pcmToFloat(const uint8_t* in, size_t samples, uint8_t bitsPerSample, float* out) noexcept;

// Clips to the format's range and rounds to nearest (ties to even). NaN becomes 0. Float output
// is clipped to [-1, 1] as well: the resampler can overshoot full-scale input slightly, and some
// sinks wrap or distort rather than clip.
void floatToPcm(const float* in, size_t samples, SampleFormat format, uint8_t* out) noexcept;

}  // namespace scream::receiver
