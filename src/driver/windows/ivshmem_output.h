// The IVSHMEM side of the driver (registry UseIVSHMEM = N MiB): the stream's PCM goes into the
// shared memory of a QEMU ivshmem device, through virtio-win's ivshmem driver, in Scream's layout
// (driver/core/ivshmem_ring_writer.h), instead of UDP.
//
// Finding the device (attachDevice, StartDevice, PASSIVE_LEVEL): IoGetDeviceInterfaces for the
// ivshmem interface class, IoGetDeviceObjectPointer on each, IOCTL_IVSHMEM_REQUEST_SIZE; the
// first whose size is exactly N MiB is used (as upstream does). Its file object stays referenced
// until detachDevice(). Every device looked at and the outcome are logged.
//
// Why a work item writes, not the timer DPC: REQUEST_MMAP maps the memory into the user space
// of the process that asks, and a DPC runs in whatever process was interrupted. So the mapping
// is requested, written and released only by this output's work item, which runs in the System
// process (upstream Scream does the same). The DPC only queues the stream's PCM in a nonpaged
// record ring (driver/core/spsc_record_ring.h), in order with the stream's start and stop, and
// queues the work item; the work item maps on start, writes the chunks, and on stop zeroes the
// header and releases the mapping (RELEASE_MMAP).
//
// Fallback: no device of that size, a failed or short mapping, or a device that stopped
// answering: logged once, and from then on active() is false and the stream sends over the
// network (WskSender) instead. Never a bug check.
#pragma once

#include "driver/core/ivshmem_ring_writer.h"
#include "driver/core/spsc_record_ring.h"
#include "ivshmem_device.h"

class IvshmemOutput {
 public:
  static constexpr ULONG kStagingBytes = 1u << 20;  // ~170 ms at 192 kHz/32 bit/8 ch

  // PASSIVE_LEVEL. mebibytes 0: stays inactive. Finds the device; fails only without memory.
  NTSTATUS attachDevice(PDEVICE_OBJECT device, ULONG mebibytes, ULONG chunkMilliseconds);
  // PASSIVE_LEVEL, no stream running: the work item has finished, the header is zeroed, the
  // mapping released, the device dereferenced.
  void detachDevice();

  // Any IRQL: the stream's audio goes here (true) or to the network (false).
  bool active() const { return active_ != 0; }

  // Under the stream's lock, any IRQL <= DISPATCH_LEVEL, never waits: queue for the work item.
  void startStream(const scream::protocol::Format& format);
  void write(const uint8_t* pcm, size_t bytes);  // counted as dropped if the ring is full
  void stopStream();
  // After releasing the stream's lock, any IRQL <= DISPATCH_LEVEL: queues the work item if
  // anything is waiting and it is not queued yet.
  void kick();

  ULONG64 droppedBytes() const { return dropped_; }

 private:
  enum Record : uint32_t { kStart = 1, kData = 2, kStop = 3 };
  static constexpr uint32_t kControlReserve = 64;  // data never takes the room of a stop

  static void NTAPI workItem(PDEVICE_OBJECT device, PVOID context);
  void work();  // PASSIVE_LEVEL, System process
  void startWriting(const scream::protocol::Format& format);
  void stopWriting();
  bool map();
  void unmap();
  void fail(const char* what, NTSTATUS status);
  bool findDevice();
  NTSTATUS control(ULONG code, void* in, ULONG inBytes, void* out, ULONG outBytes);

  ULONG mebibytes_ = 0;
  ULONG chunkMs_ = 0;
  PDEVICE_OBJECT target_ = nullptr;  // the ivshmem device (kept alive by targetFile_)
  PFILE_OBJECT targetFile_ = nullptr;
  PIO_WORKITEM workItem_ = nullptr;
  uint8_t* staging_ = nullptr;
  scream::driver::SpscRecordRing ring_{};
  scream::driver::IvshmemRingWriter writer_{};  // the work item's
  IvshmemMmap mapping_{};                        // the work item's
  bool mapped_ = false;                          // the work item's
  bool streaming_ = false;                       // the stream's (under its lock)
  volatile LONG active_ = 0;
  volatile LONG scheduled_ = 0;  // the work item is queued or running
  volatile LONG64 dropped_ = 0;
};
