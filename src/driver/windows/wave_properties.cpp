// Format negotiation on the wave filter, answered from the same rule NewStream applies
// (driver/core/endpoint_formats.h), so the audio engine never picks a format the stream refuses.
//   KSPROPERTY_PIN_PROPOSEDATAFORMAT  (SET): STATUS_SUCCESS if the render pin would accept the
//     format in the value, STATUS_NO_MATCH if not.
//   KSPROPERTY_PIN_PROPOSEDATAFORMAT2 (GET): the render pin's preferred format (48 kHz, 16 bit,
//     stereo, WAVEFORMATEXTENSIBLE). The descriptor is KSP_PIN + KSMULTIPLE_ITEM of attributes
//     (the signal-processing mode); the endpoint declares no modes, so every request gets the
//     same default.
// PortCls passes the instance data after the KSPROPERTY header: here KSP_PIN's PinId and Reserved.
#include "property_description.h"
#include "wave_format.h"
#include "wave_miniport.h"

namespace {

constexpr ULONG kPinInstanceBytes = 2 * sizeof(ULONG);  // KSP_PIN without its KSPROPERTY

NTSTATUS proposeDataFormat(PPCPROPERTY_REQUEST request) {
  if (!(request->Verb & KSPROPERTY_TYPE_SET)) return STATUS_INVALID_DEVICE_REQUEST;
  const ULONG pin = *static_cast<const ULONG*>(request->Instance);
  if (pin != kWavePinRender) return STATUS_NO_MATCH;
  const auto verdict = judgeDataFormat(static_cast<const KSDATAFORMAT*>(request->Value),
                                       request->ValueSize, nullptr);
  if (verdict == scream::driver::WaveVerdict::kAccepted) return STATUS_SUCCESS;
  SCREAM_LOG_INFO("proposed format refused: %s\n", scream::driver::describe(verdict));
  return STATUS_NO_MATCH;
}

NTSTATUS defaultDataFormat(PPCPROPERTY_REQUEST request) {
  if (!(request->Verb & KSPROPERTY_TYPE_GET)) return STATUS_INVALID_DEVICE_REQUEST;
  const ULONG pin = *static_cast<const ULONG*>(request->Instance);
  if (pin != kWavePinRender) return STATUS_NOT_SUPPORTED;  // the bridge pin has no PCM format
  if (request->ValueSize == 0) {
    request->ValueSize = sizeof(ExtensibleDataFormat);
    return STATUS_BUFFER_OVERFLOW;
  }
  if (request->ValueSize < sizeof(ExtensibleDataFormat)) return STATUS_BUFFER_TOO_SMALL;
  makeDataFormat(scream::driver::kEndpointDefaultFormat,
                 static_cast<ExtensibleDataFormat*>(request->Value));
  request->ValueSize = sizeof(ExtensibleDataFormat);
  return STATUS_SUCCESS;
}

}  // namespace

NTSTATUS NTAPI handleWaveFilterProperty(PPCPROPERTY_REQUEST request) {
  const ULONG id = request->PropertyItem->Id;
  if (request->Verb & KSPROPERTY_TYPE_BASICSUPPORT) {
    return scream::driver::describeProperty(request, request->PropertyItem->Flags, 0);
  }
  if (request->Instance == nullptr || request->InstanceSize < kPinInstanceBytes) {
    return STATUS_INVALID_PARAMETER;
  }
  if (id == KSPROPERTY_PIN_PROPOSEDATAFORMAT) return proposeDataFormat(request);
  if (id == kPinProposeDataFormat2) return defaultDataFormat(request);
  return STATUS_INVALID_DEVICE_REQUEST;
}
