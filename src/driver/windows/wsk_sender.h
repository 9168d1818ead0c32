// The UDP side of the driver: one WSK datagram socket and a preallocated pool of packets, so the
// timer DPC can hand a datagram over at DISPATCH_LEVEL without allocating or waiting.
//
// Lifetime: registerClient() in DriverEntry, attachDevice() in StartDevice, requestOpen() when a
// stream leaves STOP and on every RUN (the first one queues a work item that creates the socket at
// PASSIVE_LEVEL), awaitOpen() before RUN starts the clock,
// send() from the DPC, detachDevice() on IRP_MN_REMOVE_DEVICE (closes the socket),
// unregisterClient() in DriverUnload.
#pragma once

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

  // Any IRQL <= DISPATCH_LEVEL, never waits: copies the datagram into a free packet and sends
  // it. Without a socket or a free packet the datagram is counted as dropped.
  void send(const uint8_t* datagram, size_t size);

  ULONG64 droppedDatagrams() const { return dropped_; }

 private:
  enum SocketState : LONG { kClosed = 0, kOpening = 1, kOpen = 2 };

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
  NTSTATUS setOption(ULONG option, ULONG value, SIZE_T size);
  NTSTATUS allocatePackets();
  void freePackets();

  scream::driver::SenderSettings settings_{};
  WSK_REGISTRATION registration_{};
  WSK_PROVIDER_NPI provider_{};
  bool registered_ = false;
  bool providerCaptured_ = false;
  PIO_WORKITEM workItem_ = nullptr;
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
};
