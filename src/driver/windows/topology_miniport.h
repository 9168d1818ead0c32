// The topology miniport: bridge pin from the wave filter -> volume node -> mute node -> speaker
// line out. Mute is honoured (the stream sends silence); volume has no hardware property, so
// Windows applies it in its software mixer before the audio reaches the driver.
#pragma once

#include "com_object.h"

struct DeviceState;

enum TopologyPin : ULONG { kTopologyPinFromWave = 0, kTopologyPinLineOut = 1 };

extern const PCFILTER_DESCRIPTOR kTopologyFilterDescriptor;

// KSPROPERTY_AUDIO_MUTE on the mute node (topology_properties.cpp).
NTSTATUS NTAPI handleMuteProperty(PPCPROPERTY_REQUEST request);

class TopologyMiniport : public ComObject<TopologyMiniport, IMiniportTopology> {
 public:
  explicit TopologyMiniport(DeviceState* device) : device_(device) {}
  ~TopologyMiniport() = default;

  DeviceState* device() const { return device_; }

  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* object) override;
  STDMETHODIMP_(NTSTATUS) GetDescription(PPCFILTER_DESCRIPTOR* description) override;
  STDMETHODIMP_(NTSTATUS) DataRangeIntersection(ULONG pinId, PKSDATARANGE dataRange,
                                                PKSDATARANGE matchingDataRange,
                                                ULONG outputBufferLength, PVOID resultantFormat,
                                                PULONG resultantFormatLength) override;
  STDMETHODIMP_(NTSTATUS) Init(PUNKNOWN unknownAdapter, PRESOURCELIST resourceList,
                               PPORTTOPOLOGY port) override;

 private:
  DeviceState* device_;
};
