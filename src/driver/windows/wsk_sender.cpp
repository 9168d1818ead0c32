// WSK socket setup (PASSIVE_LEVEL, in a work item) and the lock-free packet pool the DPC sends from.
#include "wsk_sender.h"

#include "kernel_routines.h"

namespace {

const WSK_CLIENT_DISPATCH kClientDispatch = {makeWskVersion(1, 0), 0, nullptr};

NTSTATUS NTAPI signalEvent(PDEVICE_OBJECT, PIRP, PVOID context) {
  KeSetEvent(static_cast<PKEVENT>(context), IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;  // the IRP is ours; callAndWait frees it
}

// Runs one asynchronous WSK request to completion (PASSIVE_LEVEL only).
template <class Request>
NTSTATUS callAndWait(Request&& request, ULONG_PTR* information = nullptr) {
  PIRP irp = IoAllocateIrp(1, FALSE);
  if (irp == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  KEVENT done;
  KeInitializeEvent(&done, SynchronizationEvent, FALSE);
  IoSetCompletionRoutine(irp, signalEvent, &done, TRUE, TRUE, TRUE);
  // WSK always completes the IRP, pending or not, so the event is always signalled.
  request(irp);
  KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, nullptr);
  const NTSTATUS status = irp->IoStatus.Status;
  if (information != nullptr) *information = irp->IoStatus.Information;
  IoFreeIrp(irp);
  return status;
}

SOCKADDR_IN_KERNEL socketAddress(const scream::driver::Ipv4Address& address, uint16_t port) {
  SOCKADDR_IN_KERNEL result{};
  result.sin_family = kAfInet;
  result.sin_port = static_cast<USHORT>((port >> 8) | (port << 8));  // network byte order
  for (int i = 0; i < 4; ++i) result.sin_addr[i] = address.octets[i];
  return result;
}

}  // namespace

NTSTATUS WskSender::registerClient() {
  if (registered_) return STATUS_SUCCESS;  // a START after a STOP (rebalance): still registered
  KeInitializeEvent(&workItemIdle_, NotificationEvent, TRUE);
  NTSTATUS status = allocatePackets();
  if (!NT_SUCCESS(status)) return status;
  WSK_CLIENT_NPI client = {this, &kClientDispatch};
  status = WskRegister(&client, &registration_);
  if (!NT_SUCCESS(status)) {
    SCREAM_LOG_ERROR("WskRegister failed: 0x%08lx\n", status);
    freePackets();
    return status;
  }
  registered_ = true;
  return STATUS_SUCCESS;
}

void WskSender::unregisterClient() {
  if (providerCaptured_) WskReleaseProviderNPI(&registration_);
  providerCaptured_ = false;
  if (registered_) WskDeregister(&registration_);  // waits until the provider is released
  registered_ = false;
  freePackets();
}

NTSTATUS WskSender::attachDevice(PDEVICE_OBJECT device) {
  if (workItem_ != nullptr) return STATUS_SUCCESS;
  workItem_ = IoAllocateWorkItem(device);
  if (workItem_ == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  device_ = device;
  InterlockedExchange(&state_, kClosed);
  return STATUS_SUCCESS;
}

// The work item may be queued or running: wait until it has finished and published its result,
// close an open socket, and mark the sender detached so no RUN can queue the work item again.
void WskSender::detachDevice() {
  if (workItem_ == nullptr) return;  // never attached: nothing was ever queued or opened
  LARGE_INTEGER oneMillisecond;
  oneMillisecond.QuadPart = -10000;
  for (;;) {
    KeWaitForSingleObject(&workItemIdle_, Executive, KernelMode, FALSE, nullptr);
    const LONG state = InterlockedCompareExchange(&state_, kDetached, kClosed);
    if (state == kClosed || state == kDetached) break;
    if (state == kOpen) {
      closeSocket();  // back to kClosed; the loop then detaches
    } else {
      // kOpening with the event set: the work item is between signalling and publishing its
      // failure, or a new open was just requested and has not cleared the event yet.
      KeDelayExecutionThread(KernelMode, FALSE, &oneMillisecond);
    }
  }
  if (workItem_ != nullptr) IoFreeWorkItem(workItem_);
  workItem_ = nullptr;
  device_ = nullptr;
}

void WskSender::requestOpen() {
  if (!registered_ || workItem_ == nullptr) return;
  if (InterlockedCompareExchange(&state_, kOpening, kClosed) != kClosed) return;
  KeClearEvent(&workItemIdle_);
  IoQueueWorkItem(workItem_, openWorkItem, DelayedWorkQueue, this);
}

void WskSender::awaitOpen(ULONG milliseconds) {
  LARGE_INTEGER timeout;
  timeout.QuadPart = -10000LL * milliseconds;
  KeWaitForSingleObject(&workItemIdle_, Executive, KernelMode, FALSE, &timeout);
}

// Signals idle before it publishes a failure: published first, a RUN in between could queue
// the work item again, and this signal would then claim idle while it is queued (and removal
// would free a queued work item). detachDevice() waits for the published state as well.
void NTAPI WskSender::openWorkItem(PDEVICE_OBJECT, PVOID context) {
  auto* self = static_cast<WskSender*>(context);
  const NTSTATUS status = self->openSocket();  // publishes kOpen on success
  if (NT_SUCCESS(status)) {
    KeSetEvent(&self->workItemIdle_, IO_NO_INCREMENT, FALSE);
    return;
  }
  SCREAM_LOG_ERROR("UDP socket not opened (0x%08lx); retrying when a stream starts\n", status);
  KeSetEvent(&self->workItemIdle_, IO_NO_INCREMENT, FALSE);
  InterlockedExchange(&self->state_, kClosed);  // the last access to *self
}

NTSTATUS WskSender::setOption(ULONG level, ULONG option, ULONG value, SIZE_T size) {
  PWSK_SOCKET socket = socket_;
  const auto* dispatch = socketDispatch_;
  return callAndWait([&](PIRP irp) {
    return dispatch->Basic.WskControlSocket(socket, WskSetOption, option, level, size, &value,
                                            0, nullptr, nullptr, irp);
  });
}

NTSTATUS WskSender::openSocket() {
  if (!providerCaptured_) {
    // Waits for the network stack; this is why it runs in a work item, not DriverEntry. Not
    // forever: removal waits for this work item (the next stream start tries again).
    const NTSTATUS status = WskCaptureProviderNPI(&registration_, kCaptureWaitMs, &provider_);
    if (!NT_SUCCESS(status)) return status;
    providerCaptured_ = true;
  }
  ULONG_PTR created = 0;
  NTSTATUS status = callAndWait(
      [&](PIRP irp) {
        return provider_.Dispatch->WskSocket(provider_.Client, kAfInet, kSockDgram, kIpprotoUdp,
                                             kWskFlagDatagramSocket, nullptr, nullptr, nullptr,
                                             nullptr, nullptr, irp);
      },
      &created);
  if (!NT_SUCCESS(status)) return status;
  socket_ = reinterpret_cast<PWSK_SOCKET>(created);
  socketDispatch_ = static_cast<const WSK_PROVIDER_DATAGRAM_DISPATCH*>(socket_->Dispatch);

  // Options are best effort: audio still flows without them, so a failure is only logged.
  // SO_BROADCAST always: a broadcast destination (255.255.255.255 or a subnet's, which the
  // driver cannot tell from a unicast address without the netmask) is refused without it.
  status = setOption(kSolSocket, kSoBroadcast, 1, sizeof(ULONG));
  if (!NT_SUCCESS(status)) SCREAM_LOG_ERROR("SO_BROADCAST failed: 0x%08lx\n", status);
  if (settings_.isMulticast() && settings_.ttl != 0) {
    status = setOption(kIpprotoIp, kIpMulticastTtl, settings_.ttl, sizeof(ULONG));
    if (!NT_SUCCESS(status)) SCREAM_LOG_ERROR("IP_MULTICAST_TTL failed: 0x%08lx\n", status);
  }
  if (settings_.isMulticast() && !settings_.multicastInterface.isAny()) {
    ULONG address = 0;  // IN_ADDR: the octets in network order, as they sit in memory
    RtlCopyMemory(&address, settings_.multicastInterface.octets, sizeof(address));
    status = setOption(kIpprotoIp, kIpMulticastIf, address, sizeof(address));
    if (!NT_SUCCESS(status)) SCREAM_LOG_ERROR("IP_MULTICAST_IF failed: 0x%08lx\n", status);
  }
  if (settings_.dscp != 0) {
    status = setOption(kIpprotoIp, kIpTos, static_cast<ULONG>(settings_.dscp) << 2, sizeof(ULONG));
    if (!NT_SUCCESS(status)) SCREAM_LOG_ERROR("IP_TOS (DSCP) failed: 0x%08lx\n", status);
  }

  SOCKADDR_IN_KERNEL local = socketAddress(settings_.source, settings_.sourcePort);
  PWSK_SOCKET socket = socket_;
  status = callAndWait(
      [&](PIRP irp) { return socketDispatch_->WskBind(socket, &local, 0, irp); });
  if (!NT_SUCCESS(status)) {
    SCREAM_LOG_ERROR("bind to the source address failed: 0x%08lx\n", status);
    callAndWait([&](PIRP irp) { return socketDispatch_->Basic.WskCloseSocket(socket, irp); });
    socket_ = nullptr;
    return status;
  }
  remote_ = socketAddress(settings_.destination, settings_.destinationPort);
  InterlockedExchange(&state_, kOpen);  // publishes socket_ and remote_ to send()
  SCREAM_LOG_INFO("sending to %u.%u.%u.%u:%u\n", settings_.destination.octets[0],
                  settings_.destination.octets[1], settings_.destination.octets[2],
                  settings_.destination.octets[3], settings_.destinationPort);
  return STATUS_SUCCESS;
}

void WskSender::closeSocket() {
  if (InterlockedExchange(&state_, kClosed) != kOpen) return;
  // stage() counts a packet in before it looks at the state, and a staged packet is sent or
  // dropped by transmit() before it counts out, so once the count drains no send can touch the
  // socket any more.
  LARGE_INTEGER oneMillisecond;
  oneMillisecond.QuadPart = -10000;
  while (InterlockedCompareExchange(&inFlight_, 0, 0) != 0) {
    KeDelayExecutionThread(KernelMode, FALSE, &oneMillisecond);
  }
  PWSK_SOCKET socket = socket_;
  callAndWait([&](PIRP irp) { return socketDispatch_->Basic.WskCloseSocket(socket, irp); });
  socket_ = nullptr;
}

void WskSender::stage(const uint8_t* datagram, size_t size) {
  InterlockedIncrement(&inFlight_);
  if (state_ != kOpen || size > kPacketBytes || packets_ == nullptr) {
    InterlockedDecrement(&inFlight_);
    InterlockedIncrement64(&dropped_);
    return;
  }
  Packet* packet = nullptr;
  for (ULONG tries = 0; tries < kPacketCount && packet == nullptr; ++tries) {
    const ULONG index = static_cast<ULONG>(InterlockedIncrement(&nextPacket_)) % kPacketCount;
    if (InterlockedCompareExchange(&packets_[index].busy, 1, 0) == 0) packet = &packets_[index];
  }
  if (packet == nullptr) {  // the network is slower than the audio: drop, never wait
    InterlockedDecrement(&inFlight_);
    InterlockedIncrement64(&dropped_);
    return;
  }
  RtlCopyMemory(packet->data, datagram, size);
  packet->buffer.Mdl = packet->mdl;
  packet->buffer.Offset = 0;
  packet->buffer.Length = size;
  if (!staged_.push(packet)) release(packet, true);  // never full: a queued packet is busy
}

void WskSender::transmit() {
  staged_.drain([this](Packet* packet) {
    // Still counted in flight, so the socket cannot be closed under this send.
    if (state_ != kOpen) {
      release(packet, true);
      return;
    }
    IoReuseIrp(packet->irp, STATUS_UNSUCCESSFUL);
    // The Ex variant references the device object until the completion routine has returned,
    // so the driver cannot be unloaded while its code still runs there (the routine frees the
    // last packet). It allocates a little for that; if it cannot, the datagram is dropped.
    // Without it (Wine, see kernel_routines.h) the plain routine is set.
    if (g_kernel.setCompletionRoutineEx != nullptr) {
      if (!NT_SUCCESS(g_kernel.setCompletionRoutineEx(device_, packet->irp, sendCompleted, packet,
                                                      TRUE, TRUE, TRUE))) {
        release(packet, true);
        return;
      }
    } else {
      IoSetCompletionRoutine(packet->irp, sendCompleted, packet, TRUE, TRUE, TRUE);
    }
    socketDispatch_->WskSendTo(socket_, &packet->buffer, 0, &remote_, 0, nullptr, packet->irp);
  });
}

void WskSender::release(Packet* packet, bool dropped) {
  if (dropped) InterlockedIncrement64(&dropped_);
  InterlockedExchange(&packet->busy, 0);
  InterlockedDecrement(&inFlight_);
}

NTSTATUS NTAPI WskSender::sendCompleted(PDEVICE_OBJECT, PIRP irp, PVOID context) {
  auto* packet = static_cast<Packet*>(context);
  packet->owner->release(packet, !NT_SUCCESS(irp->IoStatus.Status));
  return STATUS_MORE_PROCESSING_REQUIRED;  // pool IRPs are reused, never completed further
}

NTSTATUS WskSender::allocatePackets() {
  packets_ = static_cast<Packet*>(
      ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(Packet) * kPacketCount, kScreamPoolTag));
  packetData_ = static_cast<uint8_t*>(
      ExAllocatePoolWithTag(NonPagedPoolNx, kPacketBytes * kPacketCount, kScreamPoolTag));
  if (packets_ == nullptr || packetData_ == nullptr) {
    freePackets();
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  RtlZeroMemory(packets_, sizeof(Packet) * kPacketCount);
  for (ULONG i = 0; i < kPacketCount; ++i) {
    Packet& packet = packets_[i];
    packet.owner = this;
    packet.data = packetData_ + i * kPacketBytes;
    packet.irp = IoAllocateIrp(1, FALSE);
    packet.mdl = IoAllocateMdl(packet.data, kPacketBytes, FALSE, FALSE, nullptr);
    if (packet.irp == nullptr || packet.mdl == nullptr) {
      freePackets();
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    MmBuildMdlForNonPagedPool(packet.mdl);
  }
  return STATUS_SUCCESS;
}

void WskSender::freePackets() {
  if (packets_ != nullptr) {
    for (ULONG i = 0; i < kPacketCount; ++i) {
      if (packets_[i].irp != nullptr) IoFreeIrp(packets_[i].irp);
      if (packets_[i].mdl != nullptr) IoFreeMdl(packets_[i].mdl);
    }
    ExFreePoolWithTag(packets_, kScreamPoolTag);
  }
  if (packetData_ != nullptr) ExFreePoolWithTag(packetData_, kScreamPoolTag);
  packets_ = nullptr;
  packetData_ = nullptr;
}
