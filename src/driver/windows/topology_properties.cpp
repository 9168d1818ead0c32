// KSPROPERTY_AUDIO_MUTE for the mute node. One switch for all channels: the wire carries either
// the audio or silence. The device's stream reads DeviceState::muted on every tick. PortCls
// passes the miniport as the request's MajorTarget.
#include "driver_globals.h"
#include "topology_miniport.h"

namespace {

constexpr GUID kPropertyTypeGeneral = {STATIC_KSPROPTYPESETID_General};
constexpr ULONG kVtBool = 11;  // VT_BOOL

NTSTATUS describeMute(PPCPROPERTY_REQUEST request) {
  const ULONG access = KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET | KSPROPERTY_TYPE_BASICSUPPORT;
  if (request->ValueSize >= sizeof(KSPROPERTY_DESCRIPTION)) {
    auto* description = static_cast<PKSPROPERTY_DESCRIPTION>(request->Value);
    description->AccessFlags = access;
    description->DescriptionSize = sizeof(KSPROPERTY_DESCRIPTION);
    description->PropTypeSet.Set = kPropertyTypeGeneral;
    description->PropTypeSet.Id = kVtBool;
    description->PropTypeSet.Flags = 0;
    description->MembersListCount = 0;
    description->Reserved = 0;
    request->ValueSize = sizeof(KSPROPERTY_DESCRIPTION);
    return STATUS_SUCCESS;
  }
  if (request->ValueSize >= sizeof(ULONG)) {
    *static_cast<PULONG>(request->Value) = access;
    request->ValueSize = sizeof(ULONG);
    return STATUS_SUCCESS;
  }
  request->ValueSize = sizeof(KSPROPERTY_DESCRIPTION);
  return STATUS_BUFFER_OVERFLOW;
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
