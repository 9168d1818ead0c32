// WaveRT miniport: one render stream at a time, formats checked by wave_format.
#include "wave_miniport.h"

#include "wave_format.h"
#include "wave_stream.h"

WaveMiniport::~WaveMiniport() {
  if (port_ != nullptr) port_->Release();
}

STDMETHODIMP_(NTSTATUS) WaveMiniport::QueryInterface(REFIID iid, PVOID* object) {
  static const GUID* const kInterfaces[] = {&IID_IMiniport, &IID_IMiniportWaveRT};
  return queryInterfaceOf(iid, object, kInterfaces, 2);
}

STDMETHODIMP_(NTSTATUS) WaveMiniport::GetDescription(PPCFILTER_DESCRIPTOR* description) {
  *description = const_cast<PPCFILTER_DESCRIPTOR>(&kWaveFilterDescriptor);
  return STATUS_SUCCESS;
}

// PortCls's default intersection handler works from the data ranges.
STDMETHODIMP_(NTSTATUS) WaveMiniport::DataRangeIntersection(ULONG, PKSDATARANGE, PKSDATARANGE,
                                                            ULONG, PVOID, PULONG) {
  return STATUS_NOT_IMPLEMENTED;
}

STDMETHODIMP_(NTSTATUS) WaveMiniport::Init(PUNKNOWN, PRESOURCELIST, PPORTWAVERT port) {
  port_ = port;
  port_->AddRef();
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) WaveMiniport::NewStream(PMINIPORTWAVERTSTREAM* stream,
                                                PPORTWAVERTSTREAM portStream, ULONG pin,
                                                BOOLEAN capture, PKSDATAFORMAT dataFormat) {
  *stream = nullptr;
  if (capture || pin != kWavePinRender) return STATUS_INVALID_PARAMETER;
  scream::protocol::Format format;
  const auto verdict =
      judgeDataFormat(dataFormat, dataFormat != nullptr ? dataFormat->FormatSize : 0, &format);
  if (verdict != scream::driver::WaveVerdict::kAccepted) {
    SCREAM_LOG_INFO("NewStream: format refused: %s\n", scream::driver::describe(verdict));
    return STATUS_NO_MATCH;
  }
  // One sender, one stream: a second stream would interleave on the wire.
  if (InterlockedCompareExchange(&streamOpen_, 1, 0) != 0) return STATUS_INSUFFICIENT_RESOURCES;
  WaveStream* created = createComObject<WaveStream>(this, portStream, format);
  if (created == nullptr) {
    streamClosed();
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  const NTSTATUS status = created->initialize();
  if (!NT_SUCCESS(status)) {
    created->Release();  // the destructor marks the stream closed
    return status;
  }
  *stream = created;  // the creator's reference goes to PortCls
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) WaveMiniport::GetDeviceDescription(PDEVICE_DESCRIPTION description) {
  RtlZeroMemory(description, sizeof(*description));
  description->Master = TRUE;
  description->ScatterGather = TRUE;
  description->Dma32BitAddresses = TRUE;
  description->Dma64BitAddresses = TRUE;
  description->InterfaceType = PNPBus;
  description->MaximumLength = 0xFFFFFFFF;
  return STATUS_SUCCESS;
}
