// The basic-support answer of a property handler (KSPROPERTY_TYPE_BASICSUPPORT): a full
// KSPROPERTY_DESCRIPTION when it fits (access flags and value type), the access flags alone in a
// ULONG, or the size needed. Shared by the wave and topology filters' handlers.
#pragma once

#include "kernel.h"

namespace scream::driver {

inline NTSTATUS describeProperty(PPCPROPERTY_REQUEST request, ULONG access, ULONG valueType) {
  constexpr GUID kPropertyTypeGeneral = {STATIC_KSPROPTYPESETID_General};
  if (request->ValueSize >= sizeof(KSPROPERTY_DESCRIPTION)) {
    auto* description = static_cast<PKSPROPERTY_DESCRIPTION>(request->Value);
    RtlZeroMemory(description, sizeof(*description));
    description->AccessFlags = access;
    description->DescriptionSize = sizeof(KSPROPERTY_DESCRIPTION);
    description->PropTypeSet.Set = kPropertyTypeGeneral;
    description->PropTypeSet.Id = valueType;
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

}  // namespace scream::driver
