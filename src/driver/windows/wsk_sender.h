// The UDP side of the driver: one WSK datagram socket and a preallocated pool of packets, so the
// timer DPC can hand a datagram over at DISPATCH_LEVEL without allocating or waiting.
//
// Lifetime: registerClient() in DriverEntry, attachDevice() in StartDevice, requestOpen() when a
// stream leaves STOP and on every RUN (the first one queues a work item that creates the socket at
// PASSIVE_LEVEL), awaitOpen() before RUN starts the clock,
// stage() under the stream's spin lock and transmit() after releasing it (the DPC and the state
// changes), detachDevice() on IRP_MN_REMOVE_DEVICE (closes the socket; no open can follow),
// unregisterClient() in DriverUnload.
//
// Why stage and transmit: WskSendTo is a call into another driver, of unknown length, and Wine runs
// overlapping timer DPCs that would all spin on the stream lock meanwhile. stage() only copies the
// datagram into a free packet and queues it, in stream order; transmit() hands the queued packets
// to WSK in that order (driver/core/ordered_handoff.h, host-tested: whoever finds the token free
// drains the queue; a DPC that finds it taken leaves its packets to the holder, so no one waits
// and the order on the wire is the order of stage()).
#pragma once

#include "driver/core/ordered_handoff.h"
#include "driver/core/sender_settings.h"
#include "wsk.h"

class WskSender {
 public:
  static constexpr ULONG kPacketCount = 64;  // ~27 datagrams per 5 ms tick at 192 kHz/32 bit/8 ch
  static constexpr ULONG kPacketBytes = 1160;  // one 1157-byte Scream datagram, rounded up

  NTSTATUS registerClient();  // PASSIVE_LEVEL
  void unregisterClient();    // PASSIVE_LEVEL, after detachDevice()
  NTSTATUS attachDevice(PDEVICE_OBJECT device);  // PASSIVE_LEVEL
  void detachDevice();                           // PASSIVE_LEVEL, no stream running

  // Destination and socket options; taken by the next socket that is opened.
  void configure(const scream::driver::SenderSettings& settings) { settings_ = settings; }

  // Any IRQL <= DISPATCH_LEVEL: makes sure a socket is, or is being, opened.
  void requestOpen();

  // PASSIVE_LEVEL: waits, at most `milliseconds`, for an open in progress to finish, so that a
  // stream's first datagrams are not dropped while the socket is still being created.
  void awaitOpen(ULONG milliseconds);

  // Any IRQL <= DISPATCH_LEVEL, never waits, calls no other driver: copies the datagram into a
  // free packet and queues it. Without a socket or a free packet it is counted as dropped.
  void stage(const uint8_t* datagram, size_t size);
  // Any IRQL <= DISPATCH_LEVEL, never waits; not under the stream lock: sends what is queued, in
  // order (or leaves it to the context already doing so).
  void transmit();

  ULONG64 droppedDatagrams() const { return dropped_; }

 private:
  // kDetached: the device is being removed; requestOpen() no longer queues the work item.
  enum SocketState : LONG { kClosed = 0, kOpening = 1, kOpen = 2, kDetached = 3 };
  static constexpr ULONG kCaptureWaitMs = 1000;  // WskCaptureProviderNPI: never forever

  struct Packet {
    volatile LONG busy;
    PIRP irp;
    PMDL mdl;
    uint8_t* data;
    WSK_BUF buffer;
    WskSender* owner;
  };

  static void NTAPI openWorkItem(PDEVICE_OBJECT device, PVOID context);
  static NTSTATUS NTAPI sendCompleted(PDEVICE_OBJECT device, PIRP irp, PVOID context);
  NTSTATUS openSocket();  // PASSIVE_LEVEL, in the work item
  void closeSocket();     // PASSIVE_LEVEL
  NTSTATUS setOption(ULONG level, ULONG option, ULONG value, SIZE_T size);
  NTSTATUS allocatePackets();
  void freePackets();
  void release(Packet* packet, bool dropped);  // back to the pool

  scream::driver::SenderSettings settings_{};
  WSK_REGISTRATION registration_{};
  WSK_PROVIDER_NPI provider_{};
  bool registered_ = false;
  bool providerCaptured_ = false;
  PIO_WORKITEM workItem_ = nullptr;
  PDEVICE_OBJECT device_ = nullptr;  // referenced by each send (IoSetCompletionRoutineEx)
  KEVENT workItemIdle_{};  // signalled while no open work item is queued or running
  PWSK_SOCKET socket_ = nullptr;
  const WSK_PROVIDER_DATAGRAM_DISPATCH* socketDispatch_ = nullptr;
  SOCKADDR_IN_KERNEL remote_{};
  volatile LONG state_ = kClosed;
  volatile LONG inFlight_ = 0;
  volatile LONG nextPacket_ = 0;
  volatile LONG64 dropped_ = 0;
  Packet* packets_ = nullptr;
  uint8_t* packetData_ = nullptr;
  // The queue's lock; KSPIN_LOCK zero is an initialised lock. The IRQL it saves belongs to
  // whoever holds it.
  struct SpinLock {
    KSPIN_LOCK spinLock;
    KIRQL irql;
    void lock() { KeAcquireSpinLock(&spinLock, &irql); }
    void unlock() { KeReleaseSpinLock(&spinLock, irql); }
  };
  // Staged packets in stream order (a packet is queued at most once, so kPacketCount suffices).
  scream::driver::OrderedHandoff<Packet*, kPacketCount, SpinLock> staged_{};
};
