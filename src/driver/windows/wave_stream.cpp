// WaveRT stream glue: KS states and buffer management around SenderEngine. Position is a pure
// function of the performance counter since RUN (StreamClock inside the engine).
#include "wave_stream.h"

#include "driver_globals.h"
#include "wave_format.h"
#include "wave_miniport.h"

namespace {

// Under the stream lock: copies each finished datagram into a queued packet, or its PCM into
// the IVSHMEM output's ring while that is active (never waits, calls no other driver).
// flushOutputs() hands them on once the lock is released.
struct SendDatagram {
  DeviceState* device;
  void operator()(const uint8_t* datagram, size_t size) const {
    if (device->ivshmem.active()) {
      device->ivshmem.write(datagram + scream::protocol::kHeaderBytes,
                            size - scream::protocol::kHeaderBytes);
    } else {
      device->sender.stage(datagram, size);
    }
  }
};

void flushOutputs(DeviceState* device) {
  device->sender.transmit();
  device->ivshmem.kick();
}

}  // namespace

WaveStream::WaveStream(WaveMiniport* miniport, PPORTWAVERTSTREAM portStream,
                       const scream::protocol::Format& format)
    : miniport_(miniport), device_(miniport->device()), portStream_(portStream), format_(format) {
  portStream_->AddRef();
  miniport_->AddRef();
  KeInitializeSpinLock(&lock_);
  engine_.setSilenceThreshold(g_driver.settings.silenceThresholdFrames);
  LARGE_INTEGER frequency;
  KeQueryPerformanceCounter(&frequency);
  counterFrequency_ = static_cast<uint64_t>(frequency.QuadPart);
}

NTSTATUS WaveStream::initialize() { return timer_.initialize(onTimer, this); }

WaveStream::~WaveStream() {
  timer_.destroy();
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  engine_.stop(SendDatagram{device_});
  device_->ivshmem.stopStream();
  KeReleaseSpinLock(&lock_, irql);
  flushOutputs(device_);
  freeBuffer();
  miniport_->streamClosed();
  miniport_->Release();
  portStream_->Release();
}

STDMETHODIMP_(NTSTATUS) WaveStream::QueryInterface(REFIID iid, PVOID* object) {
  static const GUID* const kInterfaces[] = {&IID_IMiniportWaveRTStream,
                                            &IID_IMiniportWaveRTStreamNotification};
  return queryInterfaceOf(iid, object, kInterfaces, 2);
}

uint64_t WaveStream::counterNow() {
  return static_cast<uint64_t>(KeQueryPerformanceCounter(nullptr).QuadPart);
}

// Only a stream without a buffer may change format: the cyclic buffer was sized and aligned for
// the current frame size (whole frames per notification), and re-used for another one the
// position would point between frames. The audio engine then closes the stream and opens a new
// one. (Accepted before; the Wine tests saw misaligned positions and scrambled audio.)
STDMETHODIMP_(NTSTATUS) WaveStream::SetFormat(PKSDATAFORMAT dataFormat) {
  scream::protocol::Format format;
  if (!toProtocolFormat(dataFormat, &format)) return STATUS_INVALID_PARAMETER;
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const bool hasBuffer = buffer_ != nullptr;
  if (!hasBuffer) format_ = format;
  KeReleaseSpinLock(&lock_, irql);
  return hasBuffer ? STATUS_INVALID_DEVICE_STATE : STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) WaveStream::SetState(KSSTATE state) {
  if (state == state_) return STATUS_SUCCESS;
  KIRQL irql;
  // The socket is created by a work item: start it when the stream leaves STOP, and give it a
  // bounded moment before RUN starts the clock. (Requested on RUN alone, the datagrams of the
  // first milliseconds were dropped while it was still opening; found by the Wine tests.)
  if (state_ == KSSTATE_STOP) device_->sender.requestOpen();
  if (state == KSSTATE_RUN) {
    if (buffer_ == nullptr) return STATUS_INVALID_DEVICE_STATE;
    device_->sender.requestOpen();
    device_->sender.awaitOpen(kSocketOpenWaitMs);  // SetState runs at PASSIVE_LEVEL
    KeAcquireSpinLock(&lock_, &irql);
    NTSTATUS status = STATUS_SUCCESS;
    if (engine_.started()) {
      engine_.resume(counterNow());
    } else if (engine_.start(counterNow(), counterFrequency_, format_, buffer_, bufferBytes_) !=
               scream::protocol::FormatError::kOk) {
      status = STATUS_INVALID_PARAMETER;
    } else {
      device_->ivshmem.startStream(format_);  // a new header: a new stream for the reader
    }
    KeReleaseSpinLock(&lock_, irql);
    if (!NT_SUCCESS(status)) return status;
    startTimer();
  } else if (state_ == KSSTATE_RUN) {  // RUN -> PAUSE (KS steps through every state)
    stopTimer();
    KeAcquireSpinLock(&lock_, &irql);
    engine_.pause(counterNow(), SendDatagram{device_});
    KeReleaseSpinLock(&lock_, irql);
    flushOutputs(device_);
  }
  if (state == KSSTATE_STOP) {
    KeAcquireSpinLock(&lock_, &irql);
    engine_.stop(SendDatagram{device_});  // position back to 0
    device_->ivshmem.stopStream();         // header zeroed, mapping released
    KeReleaseSpinLock(&lock_, irql);
    flushOutputs(device_);
  }
  state_ = state;
  return STATUS_SUCCESS;
}

STDMETHODIMP_(NTSTATUS) WaveStream::GetPosition(PKSAUDIO_POSITION position) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  const uint32_t offset = engine_.playOffsetBytes(counterNow());
  KeReleaseSpinLock(&lock_, irql);
  position->PlayOffset = offset;
  position->WriteOffset = offset;
  return STATUS_SUCCESS;
}

void WaveStream::onTimer(void* context) {
  auto* self = static_cast<WaveStream*>(context);
  KeAcquireSpinLockAtDpcLevel(&self->lock_);
  self->engine_.setMuted(self->device_->muted != 0);
  const uint64_t boundaries =
      self->engine_.tick(counterNow(), SendDatagram{self->device_});
  if (boundaries > 0) {
    for (PKEVENT event : self->events_) {
      if (event != nullptr) KeSetEvent(event, 0, FALSE);
    }
  }
  KeReleaseSpinLockFromDpcLevel(&self->lock_);
  // Outside the lock: overlapping timer callbacks never spin behind a send.
  flushOutputs(self->device_);
}

void WaveStream::startTimer() { timer_.start(kTimerPeriodMs); }

void WaveStream::stopTimer() { timer_.stop(); }

NTSTATUS WaveStream::allocateBuffer(ULONG notificationCount, ULONG requestedSize, PMDL* bufferMdl,
                                    ULONG* actualSize, ULONG* offsetFromFirstPage,
                                    MEMORY_CACHING_TYPE* cacheType) {
  if (buffer_ != nullptr || requestedSize == 0) return STATUS_INVALID_DEVICE_REQUEST;
  // Whole frames in every notification interval: both the engine and the events need it.
  const ULONG granule = format_.bytesPerFrame() * (notificationCount != 0 ? notificationCount : 1);
  ULONG size = requestedSize - requestedSize % granule;
  if (size == 0) size = granule;
  PHYSICAL_ADDRESS highest;
  highest.QuadPart = -1;  // no DMA: any physical page will do
  PMDL mdl = portStream_->AllocatePagesForMdl(highest, size);
  if (mdl == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  void* mapped = portStream_->MapAllocatedPages(mdl, MmCached);
  if (mapped == nullptr) {
    portStream_->FreePagesFromMdl(mdl);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  engine_.setNotificationCount(notificationCount);
  bufferMdl_ = mdl;
  buffer_ = static_cast<uint8_t*>(mapped);
  bufferBytes_ = size;
  KeReleaseSpinLock(&lock_, irql);
  *bufferMdl = mdl;
  *actualSize = size;
  *offsetFromFirstPage = 0;
  *cacheType = MmCached;
  return STATUS_SUCCESS;
}

void WaveStream::freeBuffer() {
  if (buffer_ == nullptr) return;
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  // The engine must not read the buffer once it is unmapped.
  engine_.stop(SendDatagram{device_});
  device_->ivshmem.stopStream();
  uint8_t* buffer = buffer_;
  PMDL mdl = bufferMdl_;
  buffer_ = nullptr;
  bufferMdl_ = nullptr;
  bufferBytes_ = 0;
  KeReleaseSpinLock(&lock_, irql);
  flushOutputs(device_);
  portStream_->UnmapAllocatedPages(buffer, mdl);
  portStream_->FreePagesFromMdl(mdl);
}

STDMETHODIMP_(NTSTATUS) WaveStream::AllocateAudioBuffer(ULONG requestedSize, PMDL* bufferMdl,
                                                        ULONG* actualSize,
                                                        ULONG* offsetFromFirstPage,
                                                        MEMORY_CACHING_TYPE* cacheType) {
  return allocateBuffer(0, requestedSize, bufferMdl, actualSize, offsetFromFirstPage, cacheType);
}

STDMETHODIMP_(VOID) WaveStream::FreeAudioBuffer(PMDL, ULONG) { freeBuffer(); }

STDMETHODIMP_(NTSTATUS) WaveStream::AllocateBufferWithNotification(
    ULONG notificationCount, ULONG requestedSize, PMDL* bufferMdl, ULONG* actualSize,
    ULONG* offsetFromFirstPage, MEMORY_CACHING_TYPE* cacheType) {
  if (notificationCount == 0) return STATUS_INVALID_PARAMETER;
  return allocateBuffer(notificationCount, requestedSize, bufferMdl, actualSize,
                        offsetFromFirstPage, cacheType);
}

STDMETHODIMP_(VOID) WaveStream::FreeBufferWithNotification(PMDL, ULONG) { freeBuffer(); }

STDMETHODIMP_(VOID) WaveStream::GetHWLatency(KSRTAUDIO_HWLATENCY* latency) {
  latency->FifoSize = 0;
  latency->ChipsetDelay = 0;
  latency->CodecDelay = 0;
}

// No hardware register exists: the port falls back to GetPosition.
STDMETHODIMP_(NTSTATUS) WaveStream::GetPositionRegister(KSRTAUDIO_HWREGISTER*) {
  return STATUS_NOT_SUPPORTED;
}
STDMETHODIMP_(NTSTATUS) WaveStream::GetClockRegister(KSRTAUDIO_HWREGISTER*) {
  return STATUS_NOT_SUPPORTED;
}

STDMETHODIMP_(NTSTATUS) WaveStream::RegisterNotificationEvent(PKEVENT event) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  NTSTATUS status = STATUS_INSUFFICIENT_RESOURCES;
  for (PKEVENT& slot : events_) {
    if (slot == nullptr) {
      slot = event;
      status = STATUS_SUCCESS;
      break;
    }
  }
  KeReleaseSpinLock(&lock_, irql);
  return status;
}

STDMETHODIMP_(NTSTATUS) WaveStream::UnregisterNotificationEvent(PKEVENT event) {
  KIRQL irql;
  KeAcquireSpinLock(&lock_, &irql);
  NTSTATUS status = STATUS_INVALID_PARAMETER;
  for (PKEVENT& slot : events_) {
    if (slot == event) {
      slot = nullptr;
      status = STATUS_SUCCESS;
      break;
    }
  }
  KeReleaseSpinLock(&lock_, irql);
  return status;
}
