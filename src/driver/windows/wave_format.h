// KS data format (WAVEFORMATEX / WAVEFORMATEXTENSIBLE) -> protocol::Format, limited to what the
// endpoint advertises: 44.1/48/88.2/96/176.4/192 kHz, 16/24/32-bit integer PCM, 1-8 channels.
#pragma once

#include "kernel.h"
#include "protocol/format.h"

inline constexpr ULONG kSupportedRates[] = {44100, 48000, 88200, 96000, 176400, 192000};
inline constexpr ULONG kMinBits = 16;
inline constexpr ULONG kMaxBits = 32;
inline constexpr ULONG kMaxChannels = 8;

// True and *format filled when `dataFormat` is a PCM format this endpoint can send.
bool toProtocolFormat(const KSDATAFORMAT* dataFormat, scream::protocol::Format* format);
