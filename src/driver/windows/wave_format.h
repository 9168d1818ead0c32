// KS data format (WAVEFORMATEX / WAVEFORMATEXTENSIBLE) -> protocol::Format. The rule of what the
// endpoint accepts is src/driver/core/endpoint_formats.h; this file only unpacks the KS
// structures for it and builds the endpoint's default format.
#pragma once

#include "driver/core/endpoint_formats.h"
#include "kernel.h"

// Judges `dataFormat` (any size the caller was given; nothing beyond it is read). On
// kAccepted, *format (if not null) is what the stream sends.
scream::driver::WaveVerdict judgeDataFormat(const KSDATAFORMAT* dataFormat, ULONG size,
                                            scream::protocol::Format* format);

// True and *format filled when `dataFormat` (FormatSize bytes) is accepted.
bool toProtocolFormat(const KSDATAFORMAT* dataFormat, scream::protocol::Format* format);

// KSDATAFORMAT_WAVEFORMATEXTENSIBLE of the endpoint's default format.
#pragma pack(push, 1)
struct ExtensibleDataFormat {
  KSDATAFORMAT header;
  WAVEFORMATEXTENSIBLE wave;
};
#pragma pack(pop)
static_assert(sizeof(ExtensibleDataFormat) == 64 + 40, "KSDATAFORMAT_WAVEFORMATEXTENSIBLE");
void makeDataFormat(const scream::protocol::Format& format, ExtensibleDataFormat* out);
