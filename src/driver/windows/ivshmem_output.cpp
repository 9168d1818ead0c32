// IVSHMEM output: device discovery, the work item that owns the mapping, and the fallback
// (see ivshmem_output.h).
#include "ivshmem_output.h"

namespace {

constexpr ULONG kDetachWaitMs = 2000;  // for the work item to finish before removal goes on

void sleepOneMillisecond() {
  LARGE_INTEGER interval;
  interval.QuadPart = -10000;
  KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

}  // namespace

NTSTATUS IvshmemOutput::attachDevice(PDEVICE_OBJECT device, ULONG mebibytes,
                                     ULONG chunkMilliseconds) {
  mebibytes_ = mebibytes;
  chunkMs_ = chunkMilliseconds;
  if (mebibytes == 0 || workItem_ != nullptr) return STATUS_SUCCESS;
  if (!findDevice()) {
    SCREAM_LOG_ERROR("IVSHMEM: no ivshmem device of %lu MiB; sending over the network\n",
                     mebibytes);
    return STATUS_SUCCESS;
  }
  workItem_ = IoAllocateWorkItem(device);
  staging_ = static_cast<uint8_t*>(
      ExAllocatePoolWithTag(NonPagedPoolNx, kStagingBytes, kScreamPoolTag));
  if (workItem_ == nullptr || staging_ == nullptr) {
    detachDevice();
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  ring_.attach(staging_, kStagingBytes);
  InterlockedExchange(&active_, 1);
  return STATUS_SUCCESS;
}

void IvshmemOutput::detachDevice() {
  InterlockedExchange(&active_, 0);
  if (workItem_ != nullptr) {
    for (ULONG waited = 0; scheduled_ != 0 && waited < kDetachWaitMs; ++waited) {
      sleepOneMillisecond();
    }
    if (scheduled_ != 0) {
      // Never free a queued work item: leak it (and the ring it reads) rather than crash.
      SCREAM_LOG_ERROR("IVSHMEM: the writer did not finish within %lu ms; not freed\n",
                       kDetachWaitMs);
      return;
    }
    stopWriting();  // a stream that never sent its stop (surprise removal)
    IoFreeWorkItem(workItem_);
    workItem_ = nullptr;
  }
  ring_.attach(nullptr, 0);
  if (staging_ != nullptr) ExFreePoolWithTag(staging_, kScreamPoolTag);
  staging_ = nullptr;
  if (targetFile_ != nullptr) ObDereferenceObject(targetFile_);
  targetFile_ = nullptr;
  target_ = nullptr;
  if (dropped_ != 0) {
    SCREAM_LOG_ERROR("IVSHMEM: %llu bytes dropped (the writer fell behind)\n",
                     static_cast<unsigned long long>(dropped_));
  }
}

// Every device of the interface class is asked for its size; the first of exactly N MiB is
// kept. Each one looked at is logged, so a wrong size is easy to see.
bool IvshmemOutput::findDevice() {
  PWSTR links = nullptr;
  GUID interfaceClass = kIvshmemInterfaceGuid;
  NTSTATUS status = IoGetDeviceInterfaces(&interfaceClass, nullptr, 0, &links);
  if (!NT_SUCCESS(status) || links == nullptr) {
    SCREAM_LOG_ERROR("IVSHMEM: no ivshmem device interface (0x%08lx)\n", status);
    return false;
  }
  const ULONGLONG wanted = ULONGLONG{mebibytes_} << 20;
  for (PWSTR link = links; *link != 0 && target_ == nullptr;) {
    UNICODE_STRING name;
    RtlInitUnicodeString(&name, link);
    const int chars = static_cast<int>(name.Length / sizeof(WCHAR));  // %wZ: not under Wine
    link += chars + 1;
    PFILE_OBJECT file = nullptr;
    PDEVICE_OBJECT device = nullptr;
    status = IoGetDeviceObjectPointer(&name, FILE_ALL_ACCESS, &file, &device);
    if (!NT_SUCCESS(status)) {
      SCREAM_LOG_ERROR("IVSHMEM: %.*ws cannot be opened (0x%08lx)\n", chars, name.Buffer, status);
      continue;
    }
    target_ = device;
    ULONGLONG size = 0;
    status = control(kIoctlIvshmemRequestSize, nullptr, 0, &size, sizeof(size));
    if (NT_SUCCESS(status) && size == wanted) {
      targetFile_ = file;
      SCREAM_LOG_INFO("IVSHMEM: using %.*ws (%llu bytes)\n", chars, name.Buffer, size);
      break;
    }
    SCREAM_LOG_ERROR("IVSHMEM: %.*ws is %llu bytes (status 0x%08lx), not the %lu MiB of "
                     "UseIVSHMEM\n", chars, name.Buffer, size, status, mebibytes_);
    target_ = nullptr;
    ObDereferenceObject(file);
  }
  ExFreePool(links);
  return target_ != nullptr;
}

// Synchronous METHOD_BUFFERED IOCTL to the ivshmem device, without a file object (as upstream
// Scream calls it; virtio-win's driver ties a mapping to the file object of the request).
NTSTATUS IvshmemOutput::control(ULONG code, void* in, ULONG inBytes, void* out, ULONG outBytes) {
  KEVENT done;
  KeInitializeEvent(&done, NotificationEvent, FALSE);
  IO_STATUS_BLOCK io = {};
  PIRP irp = IoBuildDeviceIoControlRequest(code, target_, in, inBytes, out, outBytes, FALSE, &done,
                                           &io);
  if (irp == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  NTSTATUS status = IoCallDriver(target_, irp);
  if (status == STATUS_PENDING) {
    KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, nullptr);
    status = io.Status;
  }
  return status;
}

void IvshmemOutput::startStream(const scream::protocol::Format& format) {
  if (!active()) return;
  if (streaming_) stopStream();
  streaming_ = ring_.push(kStart, reinterpret_cast<const uint8_t*>(&format), sizeof(format));
}

void IvshmemOutput::write(const uint8_t* pcm, size_t bytes) {
  if (!streaming_) return;
  if (!ring_.push(kData, pcm, static_cast<uint32_t>(bytes), kControlReserve)) {
    InterlockedExchangeAdd64(&dropped_, static_cast<LONG64>(bytes));
  }
}

void IvshmemOutput::stopStream() {
  if (!streaming_) return;
  streaming_ = false;
  ring_.push(kStop, nullptr, 0);  // the reserve keeps room for it
}

void IvshmemOutput::kick() {
  if (workItem_ == nullptr || ring_.empty()) return;
  if (InterlockedCompareExchange(&scheduled_, 1, 0) != 0) return;
  IoQueueWorkItem(workItem_, workItem, DelayedWorkQueue, this);
}

void NTAPI IvshmemOutput::workItem(PDEVICE_OBJECT, PVOID context) {
  static_cast<IvshmemOutput*>(context)->work();
}

// One work item at a time (scheduled_): it drains, then says it is done, and looks once more;
// a record pushed meanwhile is its, unless a kick() already queued the next work item.
void IvshmemOutput::work() {
  for (;;) {
    ring_.drain([this](uint32_t type, const uint8_t* data, uint32_t bytes) {
      if (type == kStart && bytes == sizeof(scream::protocol::Format)) {
        scream::protocol::Format format;
        RtlCopyMemory(&format, data, sizeof(format));
        startWriting(format);
      } else if (type == kData) {
        writer_.write(data, bytes);  // nothing while not started (or after a failure)
      } else if (type == kStop) {
        stopWriting();
      }
    });
    InterlockedExchange(&scheduled_, 0);
    if (ring_.empty() || InterlockedCompareExchange(&scheduled_, 1, 0) != 0) return;
  }
}

void IvshmemOutput::startWriting(const scream::protocol::Format& format) {
  stopWriting();
  if (!active() || !map()) return;
  using Writer = scream::driver::IvshmemRingWriter;
  const uint32_t frames = Writer::chunkFrames(format.sampleRate, chunkMs_);
  if (writer_.start(format, frames) != Writer::StartError::kOk) {
    fail("the shared memory holds fewer than 2 chunks of this format", STATUS_BUFFER_TOO_SMALL);
    unmap();
    return;
  }
  SCREAM_LOG_INFO("IVSHMEM: %lu Hz %u bit %u ch: %u chunks of %lu bytes\n",
                  static_cast<unsigned long>(format.sampleRate), format.bitsPerSample,
                  format.channels, writer_.maxChunks(),
                  static_cast<unsigned long>(writer_.chunkBytes()));
}

void IvshmemOutput::stopWriting() {
  writer_.stop();
  unmap();
}

bool IvshmemOutput::map() {
  if (mapped_) return true;
  IvshmemMmapConfig config = {kIvshmemCacheCached};
  IvshmemMmap mapping = {};
  const NTSTATUS status =
      control(kIoctlIvshmemRequestMmap, &config, sizeof(config), &mapping, sizeof(mapping));
  if (!NT_SUCCESS(status)) {
    fail("REQUEST_MMAP failed", status);
    return false;
  }
  mapping_ = mapping;
  mapped_ = true;
  const ULONGLONG wanted = ULONGLONG{mebibytes_} << 20;
  if (mapping.pointer == nullptr || mapping.size < wanted ||
      (reinterpret_cast<ULONG_PTR>(mapping.pointer) & 3) != 0) {
    fail("REQUEST_MMAP returned no usable mapping", STATUS_INVALID_ADDRESS);
    unmap();
    return false;
  }
  writer_.attach(static_cast<uint8_t*>(mapping.pointer), static_cast<size_t>(wanted));
  return true;
}

void IvshmemOutput::unmap() {
  if (!mapped_) return;
  writer_.detach();
  mapped_ = false;
  mapping_ = IvshmemMmap{};
  const NTSTATUS status = control(kIoctlIvshmemReleaseMmap, nullptr, 0, nullptr, 0);
  if (!NT_SUCCESS(status)) SCREAM_LOG_ERROR("IVSHMEM: RELEASE_MMAP failed (0x%08lx)\n", status);
}

void IvshmemOutput::fail(const char* what, NTSTATUS status) {
  if (InterlockedExchange(&active_, 0) == 0) return;  // logged once
  SCREAM_LOG_ERROR("IVSHMEM: %s (0x%08lx); sending over the network\n", what, status);
}
