// WSK socket setup (PASSIVE_LEVEL, in a work item) and the lock-free packet pool the DPC sends from.
#include "wsk_sender.h"

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
  return workItem_ != nullptr ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

void WskSender::detachDevice() {
  KeWaitForSingleObject(&workItemIdle_, Executive, KernelMode, FALSE, nullptr);
  closeSocket();
  if (workItem_ != nullptr) IoFreeWorkItem(workItem_);
  workItem_ = nullptr;
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

void NTAPI WskSender::openWorkItem(PDEVICE_OBJECT, PVOID context) {
  auto* self = static_cast<WskSender*>(context);
  const NTSTATUS status = self->openSocket();
  if (!NT_SUCCESS(status)) {
    SCREAM_LOG_ERROR("UDP socket not opened (0x%08lx); retrying on the next RUN\n", status);
    InterlockedExchange(&self->state_, kClosed);
  }
  KeSetEvent(&self->workItemIdle_, IO_NO_INCREMENT, FALSE);
}

NTSTATUS WskSender::setOption(ULONG option, ULONG value, SIZE_T size) {
  PWSK_SOCKET socket = socket_;
  const auto* dispatch = socketDispatch_;
  return callAndWait([&](PIRP irp) {
    return dispatch->Basic.WskControlSocket(socket, WskSetOption, option, kIpprotoIp, size, &value,
                                            0, nullptr, nullptr, irp);
  });
}

NTSTATUS WskSender::openSocket() {
  if (!providerCaptured_) {
    // Blocks until the network stack is up; this is why it runs in a work item, not DriverEntry.
    const NTSTATUS status = WskCaptureProviderNPI(&registration_, kWskInfiniteWait, &provider_);
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
  if (settings_.isMulticast() && settings_.ttl != 0) {
    status = setOption(kIpMulticastTtl, settings_.ttl, sizeof(ULONG));
    if (!NT_SUCCESS(status)) SCREAM_LOG_ERROR("IP_MULTICAST_TTL failed: 0x%08lx\n", status);
  }
  if (settings_.isMulticast() && !settings_.multicastInterface.isAny()) {
    ULONG address = 0;  // IN_ADDR: the octets in network order, as they sit in memory
    RtlCopyMemory(&address, settings_.multicastInterface.octets, sizeof(address));
    status = setOption(kIpMulticastIf, address, sizeof(address));
    if (!NT_SUCCESS(status)) SCREAM_LOG_ERROR("IP_MULTICAST_IF failed: 0x%08lx\n", status);
  }
  if (settings_.dscp != 0) {
    status = setOption(kIpTos, static_cast<ULONG>(settings_.dscp) << 2, sizeof(ULONG));
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
  // send() counts itself in before it looks at the state, so once the count drains no send can
  // touch the socket any more.
  LARGE_INTEGER oneMillisecond;
  oneMillisecond.QuadPart = -10000;
  while (InterlockedCompareExchange(&inFlight_, 0, 0) != 0) {
    KeDelayExecutionThread(KernelMode, FALSE, &oneMillisecond);
  }
  PWSK_SOCKET socket = socket_;
  callAndWait([&](PIRP irp) { return socketDispatch_->Basic.WskCloseSocket(socket, irp); });
  socket_ = nullptr;
}

void WskSender::send(const uint8_t* datagram, size_t size) {
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
  IoReuseIrp(packet->irp, STATUS_UNSUCCESSFUL);
  IoSetCompletionRoutine(packet->irp, sendCompleted, packet, TRUE, TRUE, TRUE);
  socketDispatch_->WskSendTo(socket_, &packet->buffer, 0, &remote_, 0, nullptr, packet->irp);
}

NTSTATUS NTAPI WskSender::sendCompleted(PDEVICE_OBJECT, PIRP irp, PVOID context) {
  auto* packet = static_cast<Packet*>(context);
  WskSender* owner = packet->owner;
  if (!NT_SUCCESS(irp->IoStatus.Status)) InterlockedIncrement64(&owner->dropped_);
  InterlockedExchange(&packet->busy, 0);
  InterlockedDecrement(&owner->inFlight_);
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
