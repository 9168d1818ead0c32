// The small C++ runtime the driver supplies itself (no libstdc++ or CRT is linked), and the one
// translation unit that defines the PortCls/KS GUIDs the headers only declare.
#include <initguid.h>

#include "kernel.h"

// Not in libksguid.a; WaveRT endpoints must expose this interface category.
DEFINE_GUID(KSCATEGORY_REALTIME, 0xEB115FFC, 0x10C8, 0x4964, 0x83, 0x1D, 0x6D, 0xCB, 0x02, 0xE6,
            0xF2, 0x3F);

void* operator new(size_t size, POOL_TYPE pool, ULONG tag) noexcept {
  void* memory = ExAllocatePoolWithTag(pool, size, tag);
  if (memory != nullptr) RtlZeroMemory(memory, size);
  return memory;
}

void operator delete(void* pointer, size_t) noexcept {
  if (pointer != nullptr) ExFreePoolWithTag(pointer, kScreamPoolTag);
}

void operator delete(void* pointer, POOL_TYPE, ULONG tag) noexcept {
  if (pointer != nullptr) ExFreePoolWithTag(pointer, tag);
}

// A call through an unset vtable slot is a driver bug; stop with the driver's own code.
extern "C" void __cxa_pure_virtual() {
  KeBugCheckEx(kScreamBugCheckCode, kScreamBugCheckPureVirtualCall,
               reinterpret_cast<ULONG_PTR>(__builtin_return_address(0)), 0, 0);
}
