// Reading the audio engine's format. Whether a format is playable is protocol::validateFormat's
// call; this file only unpacks the KS structures and applies the endpoint's advertised limits.
#include "wave_format.h"

namespace {

const GUID kSubtypePcm = {STATIC_KSDATAFORMAT_SUBTYPE_PCM};
const GUID kSpecifierWaveFormatEx = {STATIC_KSDATAFORMAT_SPECIFIER_WAVEFORMATEX};

// The speaker mask a plain WAVEFORMATEX implies (it carries none).
ULONG defaultChannelMask(ULONG channels) {
  switch (channels) {
    case 1: return KSAUDIO_SPEAKER_MONO;
    case 2: return KSAUDIO_SPEAKER_STEREO;
    case 4: return KSAUDIO_SPEAKER_QUAD;
    case 6: return KSAUDIO_SPEAKER_5POINT1;
    case 8: return KSAUDIO_SPEAKER_7POINT1_SURROUND;
    default: return 0;
  }
}

bool isSupportedRate(ULONG rate) {
  for (ULONG supported : kSupportedRates) {
    if (rate == supported) return true;
  }
  return false;
}

}  // namespace

bool toProtocolFormat(const KSDATAFORMAT* dataFormat, scream::protocol::Format* format) {
  if (dataFormat == nullptr || !IsEqualGUIDAligned(dataFormat->Specifier, kSpecifierWaveFormatEx) ||
      dataFormat->FormatSize < sizeof(KSDATAFORMAT) + sizeof(WAVEFORMATEX)) {
    return false;
  }
  const auto* wave = reinterpret_cast<const WAVEFORMATEX*>(dataFormat + 1);
  ULONG channelMask = defaultChannelMask(wave->nChannels);
  if (wave->wFormatTag == WAVE_FORMAT_EXTENSIBLE) {
    if (dataFormat->FormatSize < sizeof(KSDATAFORMAT) + sizeof(WAVEFORMATEXTENSIBLE)) return false;
    const auto* extensible = reinterpret_cast<const WAVEFORMATEXTENSIBLE*>(wave);
    if (!IsEqualGUIDAligned(extensible->SubFormat, kSubtypePcm) ||
        extensible->Samples.wValidBitsPerSample != wave->wBitsPerSample) {
      return false;  // float, or 24-in-32 containers: not what the wire carries
    }
    channelMask = extensible->dwChannelMask;
  } else if (wave->wFormatTag != WAVE_FORMAT_PCM) {
    return false;
  }
  if (!isSupportedRate(wave->nSamplesPerSec) || wave->wBitsPerSample < kMinBits ||
      wave->wBitsPerSample > kMaxBits || wave->nChannels == 0 || wave->nChannels > kMaxChannels ||
      wave->nBlockAlign != wave->nChannels * (wave->wBitsPerSample / 8)) {
    return false;
  }
  scream::protocol::Format candidate;
  candidate.sampleRate = wave->nSamplesPerSec;
  candidate.bitsPerSample = static_cast<uint8_t>(wave->wBitsPerSample);
  candidate.channels = static_cast<uint8_t>(wave->nChannels);
  candidate.channelMask = static_cast<uint16_t>(channelMask);  // the wire has 16 bits of it
  if (scream::protocol::validateFormat(candidate) != scream::protocol::FormatError::kOk) {
    return false;
  }
  *format = candidate;
  return true;
}
