// netio.sys double: WSK datagram sockets over ws2_32, for running the real scream.sys under Wine
// (Wine's own netio.sys has no datagram sockets and a stub WskControlSocket).
//
// Written from Microsoft's WSK reference, deliberately not from the driver's src/driver/windows/
// wsk.h: a wrong offset or signature in the driver must show up here as a failure, not be mirrored.
//
// Safety: the driver's default destination is a real multicast group. This double sends only to
// 127.0.0.0/8 and refuses (and records) everything else, whatever namespace it runs in.
//
// Record (C:\scream-wine\netio.log): register, capture, socket, option, bind, refused, close,
// release, deregister lines; the Linux test asserts on them.
#include <ntddk.h>

#include "double_log.h"

namespace {

const char kRecord[] = "netio.log";
constexpr ULONG kPoolTag = 0x6F69744E;  // 'Ntio'

// --- WSK subset, from Microsoft's documentation (x64 layout) -----------------------------------
constexpr ULONG kFlagDatagramSocket = 0x4;  // WSK_FLAG_DATAGRAM_SOCKET
constexpr USHORT kAfInet = 2;
constexpr USHORT kSockDgram = 2;
constexpr ULONG kIpprotoUdp = 17;
constexpr ULONG kSolIp = 0;  // IPPROTO_IP as an option level
constexpr ULONG kSolSocket = 0xFFFF;  // SOL_SOCKET
constexpr ULONG kSoBroadcast = 0x0020;  // SO_BROADCAST
enum ControlType { kSetOption = 0, kGetOption = 1, kIoctl = 2 };  // WSK_CONTROL_SOCKET_TYPE

struct SocketAddressIn {  // SOCKADDR_IN
  USHORT family;
  UCHAR portBigEndian[2];
  UCHAR address[4];
  UCHAR zero[8];
};
static_assert(sizeof(SocketAddressIn) == 16, "SOCKADDR_IN is 16 bytes");

struct WskBuffer {  // WSK_BUF
  PMDL mdl;
  ULONG offset;
  SIZE_T length;
};
static_assert(sizeof(WskBuffer) == 24, "WSK_BUF is 24 bytes on x64");

struct ClientNpi {  // WSK_CLIENT_NPI
  PVOID clientContext;
  const USHORT* dispatch;  // WSK_CLIENT_DISPATCH, whose first member is the version
};

struct Registration {  // WSK_REGISTRATION: 24 opaque bytes the provider may use
  const ClientNpi* client;
  ULONGLONG state;
  ULONGLONG spare;
};
static_assert(sizeof(Registration) == 24, "WSK_REGISTRATION is 24 bytes on x64");

struct Socket;
using SocketFn = NTSTATUS(NTAPI*)(PVOID client, USHORT family, USHORT type, ULONG protocol,
                                  ULONG flags, PVOID context, const VOID* dispatch,
                                  PEPROCESS process, PETHREAD thread,
                                  PSECURITY_DESCRIPTOR security, PIRP irp);
using ControlFn = NTSTATUS(NTAPI*)(Socket* socket, ControlType type, ULONG code, ULONG level,
                                   SIZE_T inputSize, PVOID input, SIZE_T outputSize, PVOID output,
                                   SIZE_T* outputReturned, PIRP irp);
using CloseFn = NTSTATUS(NTAPI*)(Socket* socket, PIRP irp);
using BindFn = NTSTATUS(NTAPI*)(Socket* socket, PVOID localAddress, ULONG flags, PIRP irp);
using SendToFn = NTSTATUS(NTAPI*)(Socket* socket, WskBuffer* buffer, ULONG flags,
                                  PVOID remoteAddress, ULONG controlLength, PVOID control,
                                  PIRP irp);
using UnusedFn = NTSTATUS(NTAPI*)();

struct ProviderDispatch {  // WSK_PROVIDER_DISPATCH, version 1.0 members
  USHORT version;
  USHORT reserved;
  SocketFn wskSocket;
  UnusedFn wskSocketConnect;
  UnusedFn wskControlClient;
};

struct ProviderNpi {  // WSK_PROVIDER_NPI
  PVOID client;
  const ProviderDispatch* dispatch;
};

struct DatagramDispatch {  // WSK_PROVIDER_DATAGRAM_DISPATCH (BASIC first)
  ControlFn wskControlSocket;
  CloseFn wskCloseSocket;
  BindFn wskBind;
  SendToFn wskSendTo;
  UnusedFn wskReceiveFrom;
  UnusedFn wskRelease;
  UnusedFn wskGetLocalAddress;
  UnusedFn wskSendMessages;
};
static_assert(sizeof(DatagramDispatch) == 64, "eight function pointers");

// A datagram the client handed over, waiting for the socket's sender thread.
struct QueuedSend {
  UCHAR destination[4];
  USHORT port;
  ULONG length;
  UCHAR data[1472];  // the largest UDP payload without fragmentation on Ethernet
};
constexpr ULONG kQueueLength = 4096;  // seconds of audio: outlasts any stall of this machine

// A socket as the client sees it (WSK_SOCKET: just the dispatch pointer) plus our state.
// WskSendTo copies the datagram into the socket's queue and completes at once, like a transport
// that buffers the send; a thread of the socket's own then calls sendto(). Sending inline was
// no good: the driver calls WskSendTo from its timer DPC under its stream spin lock, a sendto()
// through Wine's server takes up to ~15 ms on these loaded machines, and Wine runs overlapping
// DPCs on further pool threads, which all spin on that lock (seen as a livelock). A slow sender
// thread must not cost the driver packets either: its pool is 64 datagrams, ~150 ms at 5 ch.
struct Socket {
  const DatagramDispatch* dispatch;
  intptr_t host;
  volatile LONG64 sent;
  volatile LONG64 refused;
  volatile LONG64 failed;
  volatile LONG64 slowestSendUs;
  KSPIN_LOCK queueLock;
  ULONG queueHead;  // next to send
  ULONG queueTail;  // next free
  ULONG queueHighWater;
  volatile LONG closing;
  volatile LONG senderExited;
  QueuedSend queue[kQueueLength];
};

// --- helpers ----------------------------------------------------------------------------------
// WSK completes the client's IRP like a driver below it would: step to the location the client
// prepared with IoSetCompletionRoutine, then complete.
NTSTATUS complete(PIRP irp, NTSTATUS status, ULONG_PTR information) {
  irp->IoStatus.Status = status;
  irp->IoStatus.Information = information;
  IoSetNextIrpStackLocation(irp);
  IoCompleteRequest(irp, IO_NO_INCREMENT);
  return status;
}

USHORT portOf(const SocketAddressIn& address) {
  return static_cast<USHORT>(address.portBigEndian[0] << 8 | address.portBigEndian[1]);
}

bool isLoopback(const SocketAddressIn& address) { return address.address[0] == 127; }

NTSTATUS NTAPI unexpectedCall() {
  recordLine(kRecord, "unexpected call to a WSK function the double does not implement");
  return STATUS_NOT_IMPLEMENTED;
}

// --- datagram socket --------------------------------------------------------------------------
NTSTATUS NTAPI controlSocket(Socket* socket, ControlType type, ULONG code, ULONG level,
                             SIZE_T inputSize, PVOID input, SIZE_T, PVOID, SIZE_T*, PIRP irp) {
  ULONG value = 0;
  if (input != nullptr && inputSize >= sizeof(ULONG)) RtlCopyMemory(&value, input, sizeof(value));
  const bool broadcast = level == kSolSocket && code == kSoBroadcast;
  if (type != kSetOption || (level != kSolIp && !broadcast) || inputSize != sizeof(ULONG)) {
    recordLine(kRecord, "option type=%d level=%lu name=%lu size=%llu refused=unsupported",
               type, level, code, static_cast<unsigned long long>(inputSize));
    return complete(irp, STATUS_NOT_SUPPORTED, 0);
  }
  // Winsock's option numbers equal WSK's (IP_TOS 3, IP_MULTICAST_IF 9, _TTL 10; SO_BROADCAST).
  const int error =
      broadcast ? hostUdpSetSocketOption(socket->host, static_cast<int>(code), &value, sizeof(value))
                : hostUdpSetIpOption(socket->host, static_cast<int>(code), &value, sizeof(value));
  recordLine(kRecord, "option level=%lu name=%lu value=%lu error=%d", level, code, value, error);
  return complete(irp, error == 0 ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER, 0);
}

NTSTATUS NTAPI bindSocket(Socket* socket, PVOID localAddress, ULONG flags, PIRP irp) {
  const auto* local = static_cast<const SocketAddressIn*>(localAddress);
  const int error = hostUdpBind(socket->host, local->address, portOf(*local));
  recordLine(kRecord, "bind family=%u address=%u.%u.%u.%u port=%u flags=%lu error=%d",
             local->family, local->address[0], local->address[1], local->address[2],
             local->address[3], portOf(*local), flags, error);
  return complete(irp, error == 0 ? STATUS_SUCCESS : STATUS_INVALID_ADDRESS, 0);
}

// Gathers WSK_BUF (an MDL chain, an offset into the first MDL, a length) into `out`.
bool gather(const WskBuffer& buffer, UCHAR* out, SIZE_T capacity) {
  if (buffer.length > capacity) return false;
  SIZE_T offset = buffer.offset;
  SIZE_T copied = 0;
  for (PMDL mdl = buffer.mdl; mdl != nullptr && copied < buffer.length; mdl = mdl->Next) {
    const SIZE_T size = MmGetMdlByteCount(mdl);
    if (offset >= size) {
      offset -= size;
      continue;
    }
    SIZE_T take = size - offset;
    if (take > buffer.length - copied) take = buffer.length - copied;
    // Wine keeps one address space: the MDL's virtual address is the buffer itself.
    RtlCopyMemory(out + copied, static_cast<UCHAR*>(MmGetMdlVirtualAddress(mdl)) + offset, take);
    copied += take;
    offset = 0;
  }
  return copied == buffer.length;
}

NTSTATUS NTAPI sendTo(Socket* socket, WskBuffer* buffer, ULONG, PVOID remoteAddress, ULONG,
                      PVOID, PIRP irp) {
  const auto* remote = static_cast<const SocketAddressIn*>(remoteAddress);
  if (remote == nullptr || remote->family != kAfInet || !isLoopback(*remote)) {
    if (InterlockedIncrement64(&socket->refused) == 1 && remote != nullptr) {
      recordLine(kRecord, "refused destination=%u.%u.%u.%u port=%u (outside 127.0.0.0/8)",
                 remote->address[0], remote->address[1], remote->address[2], remote->address[3],
                 portOf(*remote));
    }
    return complete(irp, STATUS_ACCESS_DENIED, 0);
  }
  KIRQL irql;
  KeAcquireSpinLock(&socket->queueLock, &irql);
  const ULONG queued = socket->queueTail - socket->queueHead;
  QueuedSend* entry = queued < kQueueLength ? &socket->queue[socket->queueTail % kQueueLength] : nullptr;
  bool gathered = false;
  if (entry != nullptr) {
    gathered = gather(*buffer, entry->data, sizeof(entry->data));
    if (gathered) {
      RtlCopyMemory(entry->destination, remote->address, 4);
      entry->port = portOf(*remote);
      entry->length = static_cast<ULONG>(buffer->length);
      ++socket->queueTail;
      if (queued + 1 > socket->queueHighWater) socket->queueHighWater = queued + 1;
    }
  }
  KeReleaseSpinLock(&socket->queueLock, irql);
  if (entry == nullptr) {
    recordLine(kRecord, "failure: send queue full (%lu sends pending)", queued);
    return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
  }
  if (!gathered) {
    recordLine(kRecord, "sendto malformed WSK_BUF length=%llu",
               static_cast<unsigned long long>(buffer->length));
    return complete(irp, STATUS_INVALID_PARAMETER, 0);
  }
  return complete(irp, STATUS_SUCCESS, buffer->length);
}

// Sends one queued datagram.
void sendQueued(Socket* socket, QueuedSend* entry) {
  LARGE_INTEGER frequency;
  const LONGLONG before = KeQueryPerformanceCounter(&frequency).QuadPart;
  const int error = hostUdpSendTo(socket->host, entry->data, entry->length, entry->destination,
                                  entry->port);
  const LONG64 us = (KeQueryPerformanceCounter(nullptr).QuadPart - before) * 1000000 /
                    frequency.QuadPart;
  if (us > socket->slowestSendUs) socket->slowestSendUs = us;
  if (error != 0) {
    if (InterlockedIncrement64(&socket->failed) == 1) recordLine(kRecord, "sendto error=%d", error);
    return;
  }
  InterlockedIncrement64(&socket->sent);
}

void sleepMs(LONG milliseconds) {
  LARGE_INTEGER interval;
  interval.QuadPart = -10000LL * milliseconds;
  KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

// The socket's sender: drains the queue in order, polling every millisecond (no event to set
// from the DPC, which keeps the client's critical section short). Exits once closing and empty.
void NTAPI senderThread(PVOID context) {
  auto* socket = static_cast<Socket*>(context);
  for (;;) {
    KIRQL irql;
    KeAcquireSpinLock(&socket->queueLock, &irql);
    const bool empty = socket->queueHead == socket->queueTail;
    QueuedSend* entry = empty ? nullptr : &socket->queue[socket->queueHead % kQueueLength];
    KeReleaseSpinLock(&socket->queueLock, irql);
    if (entry != nullptr) {
      sendQueued(socket, entry);
      KeAcquireSpinLock(&socket->queueLock, &irql);
      ++socket->queueHead;  // the slot is reused only now
      KeReleaseSpinLock(&socket->queueLock, irql);
      continue;
    }
    if (socket->closing != 0) break;
    sleepMs(1);
  }
  InterlockedExchange(&socket->senderExited, 1);
  PsTerminateSystemThread(STATUS_SUCCESS);
}

NTSTATUS NTAPI closeSocket(Socket* socket, PIRP irp) {
  InterlockedExchange(&socket->closing, 1);  // what is queued still leaves, then the thread ends
  while (socket->senderExited == 0) sleepMs(1);
  recordLine(kRecord, "close sent=%lld refused=%lld failed=%lld slowest_send_us=%lld "
             "queue_high_water=%lu", socket->sent, socket->refused, socket->failed,
             socket->slowestSendUs, socket->queueHighWater);
  hostUdpClose(socket->host);
  ExFreePoolWithTag(socket, kPoolTag);
  return complete(irp, STATUS_SUCCESS, 0);
}

const DatagramDispatch kDatagramDispatch = {
    controlSocket, closeSocket,    bindSocket,     sendTo,
    unexpectedCall, unexpectedCall, unexpectedCall, unexpectedCall,
};

// --- provider ---------------------------------------------------------------------------------
NTSTATUS NTAPI createSocket(PVOID, USHORT family, USHORT type, ULONG protocol, ULONG flags,
                            PVOID context, const VOID* clientDispatch, PEPROCESS, PETHREAD,
                            PSECURITY_DESCRIPTOR, PIRP irp) {
  recordLine(kRecord, "socket family=%u type=%u protocol=%lu flags=%lu context=%s dispatch=%s",
             family, type, protocol, flags, context != nullptr ? "set" : "null",
             clientDispatch != nullptr ? "set" : "null");
  if (family != kAfInet || type != kSockDgram || protocol != kIpprotoUdp ||
      flags != kFlagDatagramSocket) {
    return complete(irp, STATUS_NOT_SUPPORTED, 0);
  }
  auto* socket = static_cast<Socket*>(ExAllocatePoolWithTag(NonPagedPool, sizeof(Socket), kPoolTag));
  if (socket == nullptr) return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
  RtlZeroMemory(socket, sizeof(*socket));
  socket->dispatch = &kDatagramDispatch;
  KeInitializeSpinLock(&socket->queueLock);
  const int error = hostUdpOpen(&socket->host);
  HANDLE thread = nullptr;
  const NTSTATUS status =
      error == 0 ? PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                        senderThread, socket)
                 : STATUS_UNSUCCESSFUL;
  if (!NT_SUCCESS(status)) {
    recordLine(kRecord, "socket error=%d thread=0x%08lx", error, status);
    if (error == 0) hostUdpClose(socket->host);
    ExFreePoolWithTag(socket, kPoolTag);
    return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
  }
  ZwClose(thread);
  return complete(irp, STATUS_SUCCESS, reinterpret_cast<ULONG_PTR>(socket));
}

const ProviderDispatch kProviderDispatch = {0x0100, 0, createSocket, unexpectedCall,
                                            unexpectedCall};

}  // namespace

extern "C" {

NTSTATUS NTAPI WskRegister(ClientNpi* client, Registration* registration) {
  const USHORT version = client != nullptr && client->dispatch != nullptr ? *client->dispatch : 0;
  recordLine(kRecord, "register version=0x%04x", version);
  if (client == nullptr || registration == nullptr) return STATUS_INVALID_PARAMETER;
  registration->client = client;
  registration->state = 1;
  // Winsock's first start takes tens of milliseconds under Wine; pay it here (DriverEntry), not
  // in the driver's socket open, which a stream's first RUN waits for.
  const int error = hostUdpStartup();
  if (error != 0) recordLine(kRecord, "WSAStartup error=%d", error);
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI WskCaptureProviderNPI(Registration* registration, ULONG waitTimeout,
                                     ProviderNpi* provider) {
  recordLine(kRecord, "capture wait=0x%08lx registered=%d", waitTimeout,
             registration != nullptr && registration->state == 1);
  if (registration == nullptr || registration->state != 1) return STATUS_DEVICE_NOT_READY;
  provider->client = registration;
  provider->dispatch = &kProviderDispatch;
  return STATUS_SUCCESS;
}

VOID NTAPI WskReleaseProviderNPI(Registration*) { recordLine(kRecord, "release"); }

VOID NTAPI WskDeregister(Registration* registration) {
  recordLine(kRecord, "deregister");
  if (registration != nullptr) registration->state = 0;
}

// Entry point of the DLL image; Wine may call it as DllMain. Nothing to set up.
BOOLEAN NTAPI doubleEntry(PVOID, ULONG, PVOID) { return TRUE; }

}  // extern "C"
