// IVSHMEM device double, part of the portcls.sys double (which plays the machine's PnP manager):
// devices that answer like virtio-win's ivshmem driver (kvm-guest-drivers-windows, ivshmem/
// Public.h and its documented IOCTLs), whose shared memory is a Unix file such as
// /dev/shm/NAME that a Linux process (scream-recv -m) maps at the same time.
//
// What Wine 8.0 provides and what it does not (read in Wine's ntoskrnl source, and seen here):
//  - IoCreateDriver, IoCreateDevice, IoCreateSymbolicLink, ZwCreateFile on a device of this
//    process, ObReferenceObjectByHandle of the handle (a file object, though not one whose
//    DeviceObject is set), IoBuildDeviceIoControlRequest + IoCallDriver (called directly): real.
//  - IoGetDeviceInterfaces: a stub (STATUS_NOT_IMPLEMENTED); IoRegisterDeviceInterface needs a
//    PnP-enumerated device with a setupapi record. IoGetDeviceObjectPointer: a stub returning a
//    fake device. So the double puts its own two routines, written from Microsoft's
//    documentation of them, into scream.sys's import table for those two names (only those);
//    everything else the driver calls is Wine's.
//  - IoBuildDeviceIoControlRequest with METHOD_BUFFERED passes the caller's *input* buffer as
//    SystemBuffer and IoCompleteRequest never copies an answer to the output buffer (Windows
//    allocates one system buffer and copies back). The double therefore writes its answers to
//    the caller's output buffer (UserBuffer), which is where Windows would deliver them.
//  - The memory: CreateFileMapping/MapViewOfFile of Z:\dev\shm\NAME, a MAP_SHARED mapping in
//    winedevice.exe, which is the process scream.sys runs in (on Windows, virtio-win maps into
//    the calling process's user space; the driver calls from a System-process work item).
//
// Record: C:\scream-wine\ivshmem.log.
#include "portcls_double.h"

// Wine exports it (and mingw-w64's libntoskrnl.a has it); no DDK header declares it.
extern "C" NTSTATUS NTAPI IoCreateDriver(PUNICODE_STRING name, PDRIVER_INITIALIZE init);

namespace {

const char kRecord[] = "ivshmem.log";

// From virtio-win's Public.h: interface class and CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800 + n,
// METHOD_BUFFERED, FILE_ANY_ACCESS).
constexpr GUID kInterfaceClass = {
    0xdf576976, 0x569d, 0x4672, {0x95, 0xa0, 0xf5, 0x7e, 0x4e, 0xa0, 0xb2, 0x10}};
constexpr ULONG kRequestPeerId = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
constexpr ULONG kRequestSize = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);
constexpr ULONG kRequestMmap = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS);
constexpr ULONG kReleaseMmap = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_BUFFERED, FILE_ANY_ACCESS);

// IVSHMEM_MMAP: UINT16 peerID; UINT64 size; PVOID ptr; UINT16 vectors.
struct MmapAnswer {
  USHORT peerId;
  ULONGLONG size;
  PVOID pointer;
  USHORT vectors;
};

struct Device {
  PDEVICE_OBJECT object;
  IvshmemSpec spec;
  WCHAR link[128];
  void* view;
  intptr_t mapping;
  ULONG maps;
  ULONG releases;
  ULONG refusedMaps;
};
Device g_devices[kMaxIvshmemDevices];
ULONG g_deviceCount = 0;
PDRIVER_OBJECT g_driver = nullptr;

Device* deviceOf(PDEVICE_OBJECT object) {
  for (ULONG i = 0; i < g_deviceCount; ++i) {
    if (g_devices[i].object == object) return &g_devices[i];
  }
  return nullptr;
}

NTSTATUS complete(PIRP irp, NTSTATUS status, ULONG_PTR information) {
  irp->IoStatus.Status = status;
  irp->IoStatus.Information = NT_SUCCESS(status) ? information : 0;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
  return status;
}

NTSTATUS NTAPI dispatchOpenClose(PDEVICE_OBJECT object, PIRP irp) {
  recordLine(kRecord, "irp major=%u device_known=%d", IoGetCurrentIrpStackLocation(irp)->MajorFunction,
             deviceOf(object) != nullptr);
  return complete(irp, STATUS_SUCCESS, 0);
}

const char* nameOf(ULONG code) {
  switch (code) {
    case kRequestPeerId: return "peerid";
    case kRequestSize: return "size";
    case kRequestMmap: return "mmap";
    case kReleaseMmap: return "release";
  }
  return "unknown";
}

NTSTATUS answer(Device* d, ULONG code, const UCHAR* in, ULONG inBytes, void* out, ULONG outBytes,
                ULONG_PTR* information) {
  switch (code) {
    case kRequestPeerId:
      if (outBytes != sizeof(USHORT) || out == nullptr) return STATUS_INVALID_BUFFER_SIZE;
      *static_cast<USHORT*>(out) = 0;
      *information = sizeof(USHORT);
      return STATUS_SUCCESS;
    case kRequestSize:
      if (outBytes != sizeof(ULONGLONG) || out == nullptr) return STATUS_INVALID_BUFFER_SIZE;
      *static_cast<ULONGLONG*>(out) = d->spec.bytes;
      *information = sizeof(ULONGLONG);
      return STATUS_SUCCESS;
    case kRequestMmap: {
      if (d->view != nullptr) return STATUS_DEVICE_ALREADY_ATTACHED;  // one mapping at a time
      if (outBytes != sizeof(MmapAnswer) || out == nullptr) return STATUS_INVALID_BUFFER_SIZE;
      recordLine(kRecord, "mmap device=%lu cache_mode=%d", d->spec.index,
                 inBytes >= 1 && in != nullptr ? in[0] : -1);
      if (d->spec.failMapFrom != 0 && d->maps + 1 >= d->spec.failMapFrom) {
        ++d->refusedMaps;
        return STATUS_DRIVER_INTERNAL_ERROR;  // what virtio-win answers when mapping fails
      }
      d->view = hostMapFile(d->spec.path, static_cast<size_t>(d->spec.bytes), &d->mapping);
      if (d->view == nullptr) return STATUS_DRIVER_INTERNAL_ERROR;
      ++d->maps;
      MmapAnswer* result = static_cast<MmapAnswer*>(out);
      result->peerId = 0;
      result->size = d->spec.bytes;
      result->pointer = d->view;
      result->vectors = 0;
      *information = sizeof(MmapAnswer);
      return STATUS_SUCCESS;
    }
    case kReleaseMmap:
      if (d->view == nullptr) return STATUS_INVALID_DEVICE_REQUEST;
      hostUnmapFile(d->view, d->mapping);
      d->view = nullptr;
      d->mapping = 0;
      ++d->releases;
      return STATUS_SUCCESS;
  }
  return STATUS_INVALID_DEVICE_REQUEST;
}

NTSTATUS NTAPI dispatchControl(PDEVICE_OBJECT object, PIRP irp) {
  Device* d = deviceOf(object);
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
  const ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
  const ULONG inBytes = stack->Parameters.DeviceIoControl.InputBufferLength;
  const ULONG outBytes = stack->Parameters.DeviceIoControl.OutputBufferLength;
  // See the top of the file: under Wine the answer goes to UserBuffer, the input is SystemBuffer.
  const auto* in = static_cast<const UCHAR*>(irp->AssociatedIrp.SystemBuffer);
  void* out = irp->UserBuffer;
  ULONG_PTR information = 0;
  const NTSTATUS status = d == nullptr ? STATUS_NO_SUCH_DEVICE
                                       : answer(d, code, in, inBytes, out, outBytes, &information);
  recordLine(kRecord, "ioctl device=%lu request=%s in=%lu out=%lu file_object=%d status=0x%08lx",
             d != nullptr ? d->spec.index : 99, nameOf(code), inBytes, outBytes,
             stack->FileObject != nullptr, status);
  return complete(irp, status, information);
}

NTSTATUS NTAPI driverInit(PDRIVER_OBJECT driver, PUNICODE_STRING) {
  g_driver = driver;
  driver->MajorFunction[IRP_MJ_CREATE] = dispatchOpenClose;
  driver->MajorFunction[IRP_MJ_CLEANUP] = dispatchOpenClose;
  driver->MajorFunction[IRP_MJ_CLOSE] = dispatchOpenClose;
  driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = dispatchControl;
  return STATUS_SUCCESS;
}

// out = prefix + decimal digit of `index` (< 10) + suffix.
void appendWide(WCHAR* out, size_t at, const WCHAR* prefix, ULONG index, const WCHAR* suffix) {
  for (const WCHAR* c = prefix; *c != 0; ++c) out[at++] = *c;
  out[at++] = static_cast<WCHAR>(L'0' + index % 10);
  for (const WCHAR* c = suffix; *c != 0; ++c) out[at++] = *c;
  out[at] = 0;
}

size_t wideLength(const WCHAR* text) {
  size_t n = 0;
  while (text[n] != 0) ++n;
  return n;
}

// IoGetDeviceInterfaces as Microsoft documents it: a MULTI_SZ of symbolic link names from paged
// pool, which the caller frees with ExFreePool; no interface: an empty list, STATUS_SUCCESS.
NTSTATUS NTAPI getDeviceInterfaces(const GUID* interfaceClass, PDEVICE_OBJECT, ULONG,
                                   PWSTR* symbolicLinkList) {
  const bool ours = IsEqualGUID(*interfaceClass, kInterfaceClass);
  recordLine(kRecord, "get_device_interfaces ivshmem_class=%d devices=%lu", ours, g_deviceCount);
  if (!ours) return STATUS_NOT_IMPLEMENTED;  // as Wine answers every other class
  size_t chars = 1;
  for (ULONG i = 0; i < g_deviceCount; ++i) chars += wideLength(g_devices[i].link) + 1;
  auto* list = static_cast<PWSTR>(ExAllocatePoolWithTag(PagedPool, chars * sizeof(WCHAR), kDoublePoolTag));
  if (list == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  size_t at = 0;
  for (ULONG i = 0; i < g_deviceCount; ++i) {
    for (const WCHAR* c = g_devices[i].link; *c != 0; ++c) list[at++] = *c;
    list[at++] = 0;
  }
  list[at] = 0;
  *symbolicLinkList = list;
  return STATUS_SUCCESS;
}

// IoGetDeviceObjectPointer as Windows does it: open the name (IRP_MJ_CREATE reaches the
// device), reference the file object, close the handle; the device is the file's.
NTSTATUS NTAPI getDeviceObjectPointer(PUNICODE_STRING name, ACCESS_MASK access, PFILE_OBJECT* file,
                                      PDEVICE_OBJECT* device) {
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, nullptr,
                             nullptr);
  HANDLE handle = nullptr;
  IO_STATUS_BLOCK io;
  NTSTATUS status = ZwCreateFile(&handle, access, &attributes, &io, nullptr, 0,
                                 FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                                 FILE_NON_DIRECTORY_FILE, nullptr, 0);
  PFILE_OBJECT object = nullptr;
  if (NT_SUCCESS(status)) {
    // No object type: mingw-w64 declares IoFileObjectType with one indirection too many for a
    // dllimport, and the handle is a file's anyway (Wine takes the type from the handle).
    status = ObReferenceObjectByHandle(handle, access, nullptr, KernelMode,
                                       reinterpret_cast<PVOID*>(&object), nullptr);
    ZwClose(handle);
  }
  // Wine hands out a file object for the handle, but not the one its IRP_MJ_CREATE carried:
  // its DeviceObject is not set. The device is the one the name was registered for.
  PDEVICE_OBJECT target = nullptr;
  for (ULONG i = 0; i < g_deviceCount && NT_SUCCESS(status); ++i) {
    UNICODE_STRING link;
    RtlInitUnicodeString(&link, g_devices[i].link);
    if (RtlEqualUnicodeString(&link, name, TRUE)) target = g_devices[i].object;
  }
  const bool fileDeviceSet = NT_SUCCESS(status) && object->DeviceObject != nullptr;
  if (NT_SUCCESS(status) && target == nullptr) {
    ObDereferenceObject(object);
    status = STATUS_OBJECT_NAME_NOT_FOUND;
  }
  // Wine's close of the file object (when the driver dereferences it) goes to its DeviceObject.
  if (NT_SUCCESS(status) && !fileDeviceSet) object->DeviceObject = target;
  recordLine(kRecord, "get_device_object_pointer name=%.*ws status=0x%08lx file_device_set=%d",
             static_cast<int>(name->Length / sizeof(WCHAR)), name->Buffer, status, fileDeviceSet);
  if (!NT_SUCCESS(status)) return status;
  *file = object;
  *device = target;
  return STATUS_SUCCESS;
}

}  // namespace

bool installIvshmemDevices(const Scenario& scenario) {
  if (scenario.ivshmemCount == 0) return true;
  UNICODE_STRING driverName;
  RtlInitUnicodeString(&driverName, L"\\Driver\\ScreamIvshmemDouble");
  NTSTATUS status = IoCreateDriver(&driverName, driverInit);
  if (!NT_SUCCESS(status)) {
    recordLine(kRecord, "failure: IoCreateDriver 0x%08lx", status);
    return false;
  }
  for (ULONG i = 0; i < scenario.ivshmemCount; ++i) {
    Device& d = g_devices[g_deviceCount];
    d = Device();
    d.spec = scenario.ivshmem[i];
    WCHAR deviceText[64];
    appendWide(deviceText, 0, L"\\Device\\ScreamIvshmemDouble", i, L"");
    appendWide(d.link, 0, L"\\??\\PCI#VEN_1AF4&DEV_1110&SUBSYS_11001AF4&REV_01#3&267a616a&0&", i,
               L"#{df576976-569d-4672-95a0-f57e4ea0b210}");
    UNICODE_STRING deviceName;
    UNICODE_STRING linkName;
    RtlInitUnicodeString(&deviceName, deviceText);
    RtlInitUnicodeString(&linkName, d.link);
    status = IoCreateDevice(g_driver, 0, &deviceName, FILE_DEVICE_UNKNOWN, 0, FALSE, &d.object);
    if (NT_SUCCESS(status)) status = IoCreateSymbolicLink(&linkName, &deviceName);
    recordLine(kRecord, "device index=%lu bytes=%llu path=%s fail_map_from=%lu status=0x%08lx",
               d.spec.index, d.spec.bytes, d.spec.path, d.spec.failMapFrom, status);
    if (!NT_SUCCESS(status)) return false;
    ++g_deviceCount;
  }
  const bool patched =
      hostPatchImport("scream.sys", "ntoskrnl.exe", "IoGetDeviceInterfaces",
                      reinterpret_cast<const void*>(&getDeviceInterfaces)) &&
      hostPatchImport("scream.sys", "ntoskrnl.exe", "IoGetDeviceObjectPointer",
                      reinterpret_cast<const void*>(&getDeviceObjectPointer));
  recordLine(kRecord, "imports patched=%d", patched);
  return patched;
}

void removeIvshmemDevices() {
  for (ULONG i = 0; i < g_deviceCount; ++i) {
    Device& d = g_devices[i];
    recordLine(kRecord, "summary device=%lu maps=%lu releases=%lu refused_maps=%lu still_mapped=%d",
               d.spec.index, d.maps, d.releases, d.refusedMaps, d.view != nullptr);
    UNICODE_STRING linkName;
    RtlInitUnicodeString(&linkName, d.link);
    IoDeleteSymbolicLink(&linkName);
    if (d.view != nullptr) hostUnmapFile(d.view, d.mapping);
    IoDeleteDevice(d.object);
  }
  g_deviceCount = 0;
}
