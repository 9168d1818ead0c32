// Reading the audio engine's format into the endpoint rule (driver/core/endpoint_formats.h).
#include "wave_format.h"

using scream::driver::WaveDescription;
using scream::driver::WaveVerdict;

namespace {

const GUID kTypeAudio = {STATIC_KSDATAFORMAT_TYPE_AUDIO};
const GUID kSubtypePcm = {STATIC_KSDATAFORMAT_SUBTYPE_PCM};
const GUID kSpecifierWaveFormatEx = {STATIC_KSDATAFORMAT_SPECIFIER_WAVEFORMATEX};

}  // namespace

WaveVerdict judgeDataFormat(const KSDATAFORMAT* dataFormat, ULONG size,
                            scream::protocol::Format* format) {
  if (dataFormat == nullptr || size < sizeof(KSDATAFORMAT) + sizeof(WAVEFORMATEX) ||
      dataFormat->FormatSize < sizeof(KSDATAFORMAT) + sizeof(WAVEFORMATEX) ||
      dataFormat->FormatSize > size ||
      !IsEqualGUIDAligned(dataFormat->MajorFormat, kTypeAudio) ||
      !IsEqualGUIDAligned(dataFormat->Specifier, kSpecifierWaveFormatEx)) {
    return WaveVerdict::kNotIntegerPcm;
  }
  const auto* wave = reinterpret_cast<const WAVEFORMATEX*>(dataFormat + 1);
  WaveDescription description;
  description.sampleRate = wave->nSamplesPerSec;
  description.channels = wave->nChannels;
  description.containerBits = wave->wBitsPerSample;
  description.blockAlign = wave->nBlockAlign;
  description.avgBytesPerSecond = wave->nAvgBytesPerSec;
  if (wave->wFormatTag == WAVE_FORMAT_EXTENSIBLE) {
    if (dataFormat->FormatSize < sizeof(KSDATAFORMAT) + sizeof(WAVEFORMATEXTENSIBLE) ||
        wave->cbSize < sizeof(WAVEFORMATEXTENSIBLE) - sizeof(WAVEFORMATEX)) {
      return WaveVerdict::kNotIntegerPcm;
    }
    const auto* extensible = reinterpret_cast<const WAVEFORMATEXTENSIBLE*>(wave);
    description.extensible = true;
    description.integerPcm = IsEqualGUIDAligned(extensible->SubFormat, kSubtypePcm) &&
                             IsEqualGUIDAligned(dataFormat->SubFormat, kSubtypePcm);
    description.validBits = extensible->Samples.wValidBitsPerSample;
    description.channelMask = extensible->dwChannelMask;
  } else {
    description.integerPcm = wave->wFormatTag == WAVE_FORMAT_PCM &&
                             IsEqualGUIDAligned(dataFormat->SubFormat, kSubtypePcm);
  }
  return scream::driver::judgeWave(description, format);
}

bool toProtocolFormat(const KSDATAFORMAT* dataFormat, scream::protocol::Format* format) {
  if (dataFormat == nullptr) return false;
  return judgeDataFormat(dataFormat, dataFormat->FormatSize, format) == WaveVerdict::kAccepted;
}

void makeDataFormat(const scream::protocol::Format& format, ExtensibleDataFormat* out) {
  RtlZeroMemory(out, sizeof(*out));
  const USHORT blockAlign = static_cast<USHORT>(format.bytesPerFrame());
  out->header.FormatSize = sizeof(*out);
  out->header.SampleSize = blockAlign;
  out->header.MajorFormat = kTypeAudio;
  out->header.SubFormat = kSubtypePcm;
  out->header.Specifier = kSpecifierWaveFormatEx;
  out->wave.Format.wFormatTag = WAVE_FORMAT_EXTENSIBLE;
  out->wave.Format.nChannels = format.channels;
  out->wave.Format.nSamplesPerSec = format.sampleRate;
  out->wave.Format.nAvgBytesPerSec = format.sampleRate * blockAlign;
  out->wave.Format.nBlockAlign = blockAlign;
  out->wave.Format.wBitsPerSample = format.bitsPerSample;
  out->wave.Format.cbSize = sizeof(WAVEFORMATEXTENSIBLE) - sizeof(WAVEFORMATEX);
  out->wave.Samples.wValidBitsPerSample = format.bitsPerSample;
  out->wave.dwChannelMask = format.channelMask;
  out->wave.SubFormat = kSubtypePcm;
}
