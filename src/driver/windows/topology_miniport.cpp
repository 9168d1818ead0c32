// Topology miniport: static description only; the mute state lives in the device's DeviceState.
#include "topology_miniport.h"

STDMETHODIMP_(NTSTATUS) TopologyMiniport::QueryInterface(REFIID iid, PVOID* object) {
  static const GUID* const kInterfaces[] = {&IID_IMiniport, &IID_IMiniportTopology};
  return queryInterfaceOf(iid, object, kInterfaces, 2);
}

STDMETHODIMP_(NTSTATUS) TopologyMiniport::GetDescription(PPCFILTER_DESCRIPTOR* description) {
  *description = const_cast<PPCFILTER_DESCRIPTOR>(&kTopologyFilterDescriptor);
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) TopologyMiniport::DataRangeIntersection(ULONG, PKSDATARANGE, PKSDATARANGE,
                                                                ULONG, PVOID, PULONG) {
  return STATUS_NOT_IMPLEMENTED;  // bridge pins only: PortCls's default handler suffices
}

STDMETHODIMP_(NTSTATUS) TopologyMiniport::Init(PUNKNOWN, PRESOURCELIST, PPORTTOPOLOGY) {
  return STATUS_SUCCESS;
}
