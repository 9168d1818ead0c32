// The WaveRT render miniport: describes the filter (wave_descriptors.cpp) and creates the one
// render stream it allows at a time.
#pragma once

#include "com_object.h"

// Filter pins, shared with the adapter's physical connection to the topology filter.
enum WavePin : ULONG { kWavePinRender = 0, kWavePinBridge = 1 };

extern const PCFILTER_DESCRIPTOR kWaveFilterDescriptor;

// KSPROPERTY_PIN_PROPOSEDATAFORMAT2 (mingw's ks.h stops at PROPOSEDATAFORMAT = 14).
constexpr ULONG kPinProposeDataFormat2 = 15;
static_assert(KSPROPERTY_PIN_PROPOSEDATAFORMAT == 14, "KSPROPERTY_PIN numbering");

// The wave filter's KSPROPSETID_Pin format properties (wave_properties.cpp).
NTSTATUS NTAPI handleWaveFilterProperty(PPCPROPERTY_REQUEST request);

struct DeviceState;

class WaveMiniport : public ComObject<WaveMiniport, IMiniportWaveRT> {
 public:
  explicit WaveMiniport(DeviceState* device) : device_(device) {}
  ~WaveMiniport();

  DeviceState* device() const { return device_; }

  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* object) override;

  // IMiniport
  STDMETHODIMP_(NTSTATUS) GetDescription(PPCFILTER_DESCRIPTOR* description) override;
  STDMETHODIMP_(NTSTATUS) DataRangeIntersection(ULONG pinId, PKSDATARANGE dataRange,
                                                PKSDATARANGE matchingDataRange,
                                                ULONG outputBufferLength, PVOID resultantFormat,
                                                PULONG resultantFormatLength) override;
  // IMiniportWaveRT
  STDMETHODIMP_(NTSTATUS) Init(PUNKNOWN unknownAdapter, PRESOURCELIST resourceList,
                               PPORTWAVERT port) override;
  STDMETHODIMP_(NTSTATUS) NewStream(PMINIPORTWAVERTSTREAM* stream, PPORTWAVERTSTREAM portStream,
                                    ULONG pin, BOOLEAN capture, PKSDATAFORMAT dataFormat) override;
  STDMETHODIMP_(NTSTATUS) GetDeviceDescription(PDEVICE_DESCRIPTION description) override;

  void streamClosed() { InterlockedExchange(&streamOpen_, 0); }

 private:
  DeviceState* device_;
  PPORTWAVERT port_ = nullptr;
  volatile LONG streamOpen_ = 0;
};
