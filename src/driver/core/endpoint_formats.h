// Which PCM formats the Windows render endpoint accepts, and what each becomes on the wire. One
// rule, used by the driver everywhere a format is judged: the data ranges it advertises, its
// KSPROPERTY_PIN_PROPOSEDATAFORMAT answer, NewStream and SetFormat. The driver glue only unpacks
// the KS structures into a WaveDescription.
//
// Accepted: 44.1, 48, 88.2, 96, 176.4, 192 kHz; integer PCM in 16, 24 or 32-bit containers;
// 1-8 channels. The valid bits may be fewer than the container (24-in-32 is the common case):
// the samples are then left-justified with zero low bits, so the container is sent as it is
// (24-in-32 leaves as 32 bit) and nothing is lost or converted. The data ranges can only speak
// of containers, and every valid-bits value from 1 to the container is accepted, so they say
// exactly what is accepted. Block align and byte rate must be consistent.
//
// Freestanding (compiled into the Windows kernel driver): no heap, no exceptions.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "protocol/format.h"

namespace scream::driver {

inline constexpr uint32_t kEndpointRates[] = {44100, 48000, 88200, 96000, 176400, 192000};
inline constexpr uint32_t kEndpointRateCount = sizeof(kEndpointRates) / sizeof(kEndpointRates[0]);
inline constexpr uint16_t kEndpointContainerBits[] = {16, 24, 32};
inline constexpr uint32_t kEndpointContainerCount =
    sizeof(kEndpointContainerBits) / sizeof(kEndpointContainerBits[0]);
inline constexpr uint16_t kEndpointMaxChannels = 8;

// KSAUDIO_SPEAKER_* masks for a format that carries none (plain WAVEFORMATEX); 0 where Windows
// defines no standard layout (3, 5, 7 channels).
constexpr uint32_t defaultChannelMask(uint32_t channels) {
  switch (channels) {
    case 1: return 0x4;    // KSAUDIO_SPEAKER_MONO
    case 2: return 0x3;    // KSAUDIO_SPEAKER_STEREO
    case 4: return 0x33;   // KSAUDIO_SPEAKER_QUAD
    case 6: return 0x3F;   // KSAUDIO_SPEAKER_5POINT1
    case 8: return 0x63F;  // KSAUDIO_SPEAKER_7POINT1_SURROUND
    default: return 0;
  }
}

// The endpoint's preferred format (KSPROPERTY_PIN_PROPOSEDATAFORMAT2): 48 kHz, 16 bit, stereo.
inline constexpr protocol::Format kEndpointDefaultFormat{48000, 16, 2, 0x3};

// A WAVEFORMATEX / WAVEFORMATEXTENSIBLE as the driver read it.
struct WaveDescription {
  bool integerPcm = false;  // WAVE_FORMAT_PCM, or EXTENSIBLE with SubFormat KSDATAFORMAT_SUBTYPE_PCM
  bool extensible = false;  // WAVE_FORMAT_EXTENSIBLE (validBits and channelMask are meaningful)
  uint32_t sampleRate = 0;
  uint32_t channels = 0;
  uint32_t containerBits = 0;  // wBitsPerSample
  uint32_t validBits = 0;      // Samples.wValidBitsPerSample (extensible only)
  uint32_t blockAlign = 0;
  uint32_t avgBytesPerSecond = 0;
  uint32_t channelMask = 0;  // dwChannelMask (extensible only)
};

// Why a format is refused; one value per rule, so a log or a test can say which.
enum class WaveVerdict : uint8_t {
  kAccepted = 0,
  kNotIntegerPcm,    // float, compressed, unknown tag or SubFormat
  kRate,             // not one of kEndpointRates
  kContainerBits,    // not 16, 24 or 32
  kValidBits,        // 0, or more than the container
  kChannels,         // 0 or more than 8
  kBlockAlign,       // not channels * container bytes
  kAvgBytesPerSecond // not rate * block align
};

constexpr const char* describe(WaveVerdict verdict) {
  switch (verdict) {
    case WaveVerdict::kAccepted: return "accepted";
    case WaveVerdict::kNotIntegerPcm: return "not integer PCM";
    case WaveVerdict::kRate: return "sample rate not supported";
    case WaveVerdict::kContainerBits: return "container not 16, 24 or 32 bit";
    case WaveVerdict::kValidBits: return "valid bits 0 or above the container";
    case WaveVerdict::kChannels: return "channels not 1-8";
    case WaveVerdict::kBlockAlign: return "block align inconsistent";
    case WaveVerdict::kAvgBytesPerSecond: return "byte rate inconsistent";
  }
  return "?";
}

constexpr bool isEndpointRate(uint32_t rate) {
  for (uint32_t supported : kEndpointRates) {
    if (rate == supported) return true;
  }
  return false;
}

constexpr bool isEndpointContainer(uint32_t bits) {
  for (uint16_t supported : kEndpointContainerBits) {
    if (bits == supported) return true;
  }
  return false;
}

// The one rule. On kAccepted, *wire (if not null) is what the stream sends: the container's
// depth, the channel count, and the mask (the extensible one, else the default for the count).
constexpr WaveVerdict judgeWave(const WaveDescription& wave, protocol::Format* wire) {
  if (!wave.integerPcm) return WaveVerdict::kNotIntegerPcm;
  if (!isEndpointRate(wave.sampleRate)) return WaveVerdict::kRate;
  if (!isEndpointContainer(wave.containerBits)) return WaveVerdict::kContainerBits;
  if (wave.extensible && (wave.validBits == 0 || wave.validBits > wave.containerBits)) {
    return WaveVerdict::kValidBits;
  }
  if (wave.channels == 0 || wave.channels > kEndpointMaxChannels) return WaveVerdict::kChannels;
  const uint32_t blockAlign = wave.channels * (wave.containerBits / 8);
  if (wave.blockAlign != blockAlign) return WaveVerdict::kBlockAlign;
  if (wave.avgBytesPerSecond != wave.sampleRate * blockAlign) {
    return WaveVerdict::kAvgBytesPerSecond;
  }
  if (wire != nullptr) {
    wire->sampleRate = wave.sampleRate;
    wire->bitsPerSample = static_cast<uint8_t>(wave.containerBits);
    wire->channels = static_cast<uint8_t>(wave.channels);
    // The wire carries the low 16 bits; bits beyond the channel count are passed on as they
    // are (receivers ignore them, as Windows documents for WAVEFORMATEXTENSIBLE).
    wire->channelMask = static_cast<uint16_t>(wave.extensible ? wave.channelMask
                                                              : defaultChannelMask(wave.channels));
  }
  return WaveVerdict::kAccepted;
}

}  // namespace scream::driver
