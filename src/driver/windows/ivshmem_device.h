// The interface of virtio-win's ivshmem driver (kvm-guest-drivers-windows, ivshmem/Public.h), as
// far as the driver uses it, declared here from that public header's documented values (no
// header of it ships with mingw-w64): the device interface class, three IOCTLs and two structs.
//
//  - GUID_DEVINTERFACE_IVSHMEM {df576976-569d-4672-95a0-f57e4ea0b210}: one interface per device.
//  - CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801 | 0x802 | 0x803, METHOD_BUFFERED, FILE_ANY_ACCESS):
//    REQUEST_SIZE (out: UINT64 bytes), REQUEST_MMAP (in: optional IVSHMEM_MMAP_CONFIG; out:
//    IVSHMEM_MMAP, exactly its size), RELEASE_MMAP. 0x800 is REQUEST_PEERID (unused).
//  - REQUEST_MMAP maps the shared memory into the *calling process's user space* (UserMode
//    mapping), one mapping per device at a time; RELEASE_MMAP undoes it. The caller must be
//    the same file object (here: none, as upstream Scream calls it).
#pragma once

#include "kernel.h"

// {df576976-569d-4672-95a0-f57e4ea0b210}
constexpr GUID kIvshmemInterfaceGuid = {
    0xdf576976, 0x569d, 0x4672, {0x95, 0xa0, 0xf5, 0x7e, 0x4e, 0xa0, 0xb2, 0x10}};

constexpr ULONG ivshmemIoctl(ULONG function) {
  return (FILE_DEVICE_UNKNOWN << 16) | (FILE_ANY_ACCESS << 14) | (function << 2) | METHOD_BUFFERED;
}
constexpr ULONG kIoctlIvshmemRequestPeerId = ivshmemIoctl(0x800);
constexpr ULONG kIoctlIvshmemRequestSize = ivshmemIoctl(0x801);
constexpr ULONG kIoctlIvshmemRequestMmap = ivshmemIoctl(0x802);
constexpr ULONG kIoctlIvshmemReleaseMmap = ivshmemIoctl(0x803);
static_assert(kIoctlIvshmemRequestSize == 0x222004, "CTL_CODE(0x22, 0x801, 0, 0)");
static_assert(kIoctlIvshmemRequestMmap == 0x222008, "CTL_CODE(0x22, 0x802, 0, 0)");
static_assert(kIoctlIvshmemReleaseMmap == 0x22200C, "CTL_CODE(0x22, 0x803, 0, 0)");

constexpr UCHAR kIvshmemCacheNonCached = 0;
constexpr UCHAR kIvshmemCacheCached = 1;
constexpr UCHAR kIvshmemCacheWriteCombined = 2;

struct IvshmemMmapConfig {
  UCHAR cacheMode;
};

struct IvshmemMmap {
  USHORT peerId;
  ULONGLONG size;
  PVOID pointer;
  USHORT vectors;
};
static_assert(sizeof(IvshmemMmapConfig) == 1, "IVSHMEM_MMAP_CONFIG is one byte");
static_assert(sizeof(IvshmemMmap) == 32, "IVSHMEM_MMAP on x64: 2 + pad, 8, 8, 2 + pad");
static_assert(FIELD_OFFSET(IvshmemMmap, size) == 8 && FIELD_OFFSET(IvshmemMmap, pointer) == 16 &&
                  FIELD_OFFSET(IvshmemMmap, vectors) == 24,
              "IVSHMEM_MMAP layout");
