// Reference counting for the driver's PortCls objects without CUnknown (whose virtual
// destructor and aggregation the driver does not need). Single inheritance:
// Interface <- ComObject<Derived, Interface> <- Derived, so the vtable is exactly the
// interface's, followed by nothing PortCls could call.
#pragma once

#include "kernel.h"

// Placement new (no <new> in a freestanding kernel build).
inline void* operator new(size_t, void* where) noexcept { return where; }

template <class Derived, class Interface>
class ComObject : public Interface {
 public:
  STDMETHODIMP_(ULONG) AddRef() override { return static_cast<ULONG>(InterlockedIncrement(&refs_)); }
  STDMETHODIMP_(ULONG) Release() override {
    const LONG refs = InterlockedDecrement(&refs_);
    if (refs == 0) {
      Derived* self = static_cast<Derived*>(this);
      self->~Derived();  // concrete type known: no virtual destructor needed
      ExFreePoolWithTag(self, kScreamPoolTag);
    }
    return static_cast<ULONG>(refs);
  }

 protected:
  // Answers QueryInterface for IUnknown and every IID in `iids`; `this` is the object for all.
  NTSTATUS queryInterfaceOf(REFIID iid, PVOID* object, const GUID* const* iids, size_t count) {
    bool known = IsEqualGUIDAligned(iid, IID_IUnknown);
    for (size_t i = 0; i < count && !known; ++i) known = IsEqualGUIDAligned(iid, *iids[i]);
    if (!known) {
      *object = nullptr;
      return STATUS_INVALID_PARAMETER;
    }
    *object = static_cast<Interface*>(this);
    AddRef();
    return STATUS_SUCCESS;
  }

 private:
  volatile LONG refs_ = 1;  // the creator's reference
};

// Creates a Derived in non-paged pool with one reference; nullptr when out of memory.
template <class Derived, class... Args>
Derived* createComObject(Args&&... args) {
  void* memory = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(Derived), kScreamPoolTag);
  if (memory == nullptr) return nullptr;
  RtlZeroMemory(memory, sizeof(Derived));
  return ::new (memory) Derived(static_cast<Args&&>(args)...);
}

