// KSPROPERTY_AUDIO_MUTE for the mute node. One switch for all channels: the wire carries either
// the audio or silence. The device's stream reads DeviceState::muted on every tick. PortCls
// passes the miniport as the request's MajorTarget.
#include "driver_globals.h"
#include "property_description.h"
#include "topology_miniport.h"

namespace {

constexpr ULONG kVtBool = 11;  // VT_BOOL

NTSTATUS describeMute(PPCPROPERTY_REQUEST request) {
  const ULONG access = KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET | KSPROPERTY_TYPE_BASICSUPPORT;
  return scream::driver::describeProperty(request, access, kVtBool);
}

}  // namespace

NTSTATUS NTAPI handleMuteProperty(PPCPROPERTY_REQUEST request) {
  if (request->Verb & KSPROPERTY_TYPE_BASICSUPPORT) return describeMute(request);
  if (request->InstanceSize < sizeof(LONG)) return STATUS_INVALID_PARAMETER;  // the channel
  if (request->ValueSize < sizeof(BOOL)) {
    request->ValueSize = sizeof(BOOL);
    return STATUS_BUFFER_TOO_SMALL;
  }
  auto* miniport = static_cast<TopologyMiniport*>(
      static_cast<IMiniportTopology*>(static_cast<IUnknown*>(request->MajorTarget)));
  DeviceState* device = miniport->device();
  if (request->Verb & KSPROPERTY_TYPE_GET) {
    *static_cast<PBOOL>(request->Value) = device->muted != 0 ? TRUE : FALSE;
    request->ValueSize = sizeof(BOOL);
    return STATUS_SUCCESS;
  }
  if (request->Verb & KSPROPERTY_TYPE_SET) {
    InterlockedExchange(&device->muted, *static_cast<PBOOL>(request->Value) ? 1 : 0);
    return STATUS_SUCCESS;
  }
  return STATUS_INVALID_DEVICE_REQUEST;
}
