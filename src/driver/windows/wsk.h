// The subset of Winsock Kernel (WSK) the driver uses. mingw-w64 has no wsk.h, so these
// declarations are written from Microsoft's WSK documentation; the static_asserts pin every size
// and offset to the x64 layout the documentation implies (a mismatch would crash on Windows).
#pragma once

#include "kernel.h"

extern "C" {

typedef struct _WSK_CLIENT WSK_CLIENT, *PWSK_CLIENT;  // opaque provider-side client handle

struct WSK_SOCKET {
  const void* Dispatch;  // WSK_PROVIDER_DATAGRAM_DISPATCH for a datagram socket
};
typedef WSK_SOCKET* PWSK_SOCKET;

struct WSK_BUF {
  PMDL Mdl;
  ULONG Offset;
  SIZE_T Length;
};

struct WSK_REGISTRATION {  // opaque to the client
  ULONGLONG ReservedRegistrationState;
  PVOID ReservedRegistrationContext;
  KSPIN_LOCK ReservedRegistrationLock;
};

typedef NTSTATUS(NTAPI* PFN_WSK_CLIENT_EVENT)(PVOID clientContext, ULONG eventType,
                                              PVOID information, SIZE_T informationLength);
struct WSK_CLIENT_DISPATCH {
  USHORT Version;
  USHORT Reserved;
  PFN_WSK_CLIENT_EVENT WskClientEvent;  // may be null
};

struct WSK_CLIENT_NPI {
  PVOID ClientContext;
  const WSK_CLIENT_DISPATCH* Dispatch;
};

struct SOCKADDR_IN_KERNEL {  // SOCKADDR_IN; mingw's is tied to the user-mode winsock headers
  USHORT sin_family;
  USHORT sin_port;  // network byte order
  UCHAR sin_addr[4];  // network byte order
  UCHAR sin_zero[8];
};

typedef NTSTATUS(NTAPI* PFN_WSK_SOCKET)(PWSK_CLIENT client, USHORT addressFamily,
                                        USHORT socketType, ULONG protocol, ULONG flags,
                                        PVOID socketContext, const void* dispatch,
                                        PEPROCESS owningProcess, PETHREAD owningThread,
                                        PSECURITY_DESCRIPTOR securityDescriptor, PIRP irp);
struct WSK_PROVIDER_DISPATCH {
  USHORT Version;
  USHORT Reserved;
  PFN_WSK_SOCKET WskSocket;
  PVOID WskSocketConnect;  // unused here
  PVOID WskControlClient;  // unused here
};

struct WSK_PROVIDER_NPI {
  PWSK_CLIENT Client;
  const WSK_PROVIDER_DISPATCH* Dispatch;
};

enum WSK_CONTROL_SOCKET_TYPE { WskSetOption = 0, WskGetOption, WskIoctl };

typedef NTSTATUS(NTAPI* PFN_WSK_CONTROL_SOCKET)(PWSK_SOCKET socket,
                                                WSK_CONTROL_SOCKET_TYPE requestType,
                                                ULONG controlCode, ULONG level, SIZE_T inputSize,
                                                PVOID inputBuffer, SIZE_T outputSize,
                                                PVOID outputBuffer, SIZE_T* outputSizeReturned,
                                                PIRP irp);
typedef NTSTATUS(NTAPI* PFN_WSK_CLOSE_SOCKET)(PWSK_SOCKET socket, PIRP irp);
typedef NTSTATUS(NTAPI* PFN_WSK_BIND)(PWSK_SOCKET socket, PVOID localAddress, ULONG flags,
                                      PIRP irp);
typedef NTSTATUS(NTAPI* PFN_WSK_SEND_TO)(PWSK_SOCKET socket, WSK_BUF* buffer, ULONG flags,
                                         PVOID remoteAddress, ULONG controlInfoLength,
                                         PVOID controlInfo, PIRP irp);

struct WSK_PROVIDER_BASIC_DISPATCH {
  PFN_WSK_CONTROL_SOCKET WskControlSocket;
  PFN_WSK_CLOSE_SOCKET WskCloseSocket;
};

struct WSK_PROVIDER_DATAGRAM_DISPATCH {
  WSK_PROVIDER_BASIC_DISPATCH Basic;
  PFN_WSK_BIND WskBind;
  PFN_WSK_SEND_TO WskSendTo;
  PVOID WskReceiveFrom;      // unused here
  PVOID WskRelease;          // unused here
  PVOID WskGetLocalAddress;  // unused here
  PVOID WskSendMessages;     // unused here (Windows 10+)
};

NTSTATUS NTAPI WskRegister(WSK_CLIENT_NPI* clientNpi, WSK_REGISTRATION* registration);
NTSTATUS NTAPI WskCaptureProviderNPI(WSK_REGISTRATION* registration, ULONG waitTimeout,
                                     WSK_PROVIDER_NPI* providerNpi);
VOID NTAPI WskReleaseProviderNPI(WSK_REGISTRATION* registration);
VOID NTAPI WskDeregister(WSK_REGISTRATION* registration);

}  // extern "C"

constexpr USHORT makeWskVersion(USHORT major, USHORT minor) {
  return static_cast<USHORT>((major << 8) | minor);
}
constexpr ULONG kWskFlagDatagramSocket = 0x00000004;
constexpr ULONG kWskInfiniteWait = 0xFFFFFFFF;
constexpr USHORT kAfInet = 2;
constexpr USHORT kSockDgram = 2;
constexpr ULONG kIpprotoUdp = 17;
constexpr ULONG kSolSocket = 0xFFFF;  // option level SOL_SOCKET
constexpr ULONG kSoBroadcast = 0x0020;  // SO_BROADCAST (datagram sockets)
constexpr ULONG kIpprotoIp = 0;  // option level
constexpr ULONG kIpTos = 3;
constexpr ULONG kIpMulticastIf = 9;
constexpr ULONG kIpMulticastTtl = 10;

static_assert(sizeof(WSK_SOCKET) == 8, "WSK_SOCKET");
static_assert(sizeof(WSK_BUF) == 24 && FIELD_OFFSET(WSK_BUF, Offset) == 8 &&
                  FIELD_OFFSET(WSK_BUF, Length) == 16,
              "WSK_BUF");
static_assert(sizeof(WSK_REGISTRATION) == 24, "WSK_REGISTRATION");
static_assert(sizeof(WSK_CLIENT_DISPATCH) == 16 &&
                  FIELD_OFFSET(WSK_CLIENT_DISPATCH, WskClientEvent) == 8,
              "WSK_CLIENT_DISPATCH");
static_assert(sizeof(WSK_CLIENT_NPI) == 16 && FIELD_OFFSET(WSK_CLIENT_NPI, Dispatch) == 8,
              "WSK_CLIENT_NPI");
static_assert(sizeof(WSK_PROVIDER_NPI) == 16 && FIELD_OFFSET(WSK_PROVIDER_NPI, Dispatch) == 8,
              "WSK_PROVIDER_NPI");
static_assert(FIELD_OFFSET(WSK_PROVIDER_DISPATCH, WskSocket) == 8 &&
                  sizeof(WSK_PROVIDER_DISPATCH) == 32,
              "WSK_PROVIDER_DISPATCH (version 1.0 part)");
static_assert(sizeof(WSK_PROVIDER_BASIC_DISPATCH) == 16, "WSK_PROVIDER_BASIC_DISPATCH");
static_assert(sizeof(WSK_PROVIDER_DATAGRAM_DISPATCH) == 64 &&
                  FIELD_OFFSET(WSK_PROVIDER_DATAGRAM_DISPATCH, WskBind) == 16 &&
                  FIELD_OFFSET(WSK_PROVIDER_DATAGRAM_DISPATCH, WskSendTo) == 24,
              "WSK_PROVIDER_DATAGRAM_DISPATCH");
static_assert(sizeof(SOCKADDR_IN_KERNEL) == 16 && FIELD_OFFSET(SOCKADDR_IN_KERNEL, sin_port) == 2 &&
                  FIELD_OFFSET(SOCKADDR_IN_KERNEL, sin_addr) == 4,
              "SOCKADDR_IN");
static_assert(sizeof(WSK_CONTROL_SOCKET_TYPE) == 4, "WSK_CONTROL_SOCKET_TYPE");
