// Win32 implementation of wine_host.h (see there why it is a separate translation unit).
#include "wine_host.h"

#include <winsock2.h>
#include <windows.h>
#include <ws2tcpip.h>

namespace {

SRWLOCK g_fileLock = SRWLOCK_INIT;  // both doubles append from DPCs, threads and work items
INIT_ONCE g_wsaOnce = INIT_ONCE_STATIC_INIT;

void pathOf(const char* fileName, char* path, size_t capacity) {
  static const char kDirectory[] = "C:\\scream-wine\\";
  size_t used = 0;
  for (const char* p = kDirectory; *p != 0 && used + 1 < capacity; ++p) path[used++] = *p;
  for (const char* p = fileName; *p != 0 && used + 1 < capacity; ++p) path[used++] = *p;
  path[used] = 0;
}

BOOL CALLBACK startWinsock(PINIT_ONCE, PVOID, PVOID*) {
  WSADATA data;
  return WSAStartup(MAKEWORD(2, 2), &data) == 0;
}

sockaddr_in socketAddress(const uint8_t address[4], uint16_t port) {
  sockaddr_in result = {};
  result.sin_family = AF_INET;
  result.sin_port = htons(port);
  CopyMemory(&result.sin_addr, address, 4);
  return result;
}

}  // namespace

extern "C" void hostAppendLine(const char* fileName, const char* line) {
  char path[MAX_PATH];
  pathOf(fileName, path, sizeof(path));
  AcquireSRWLockExclusive(&g_fileLock);
  HANDLE file = CreateFileA(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                            OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file != INVALID_HANDLE_VALUE) {
    DWORD written;
    WriteFile(file, line, lstrlenA(line), &written, nullptr);
    WriteFile(file, "\n", 1, &written, nullptr);
    CloseHandle(file);
  }
  ReleaseSRWLockExclusive(&g_fileLock);
}

extern "C" void hostCreateMarker(const char* fileName) {
  char path[MAX_PATH];
  pathOf(fileName, path, sizeof(path));
  HANDLE file = CreateFileA(path, GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL,
                            nullptr);
  if (file != INVALID_HANDLE_VALUE) CloseHandle(file);
}

extern "C" size_t hostReadFile(const char* fileName, char* buffer, size_t capacity) {
  char path[MAX_PATH];
  pathOf(fileName, path, sizeof(path));
  HANDLE file = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) return 0;
  DWORD read = 0;
  if (!ReadFile(file, buffer, static_cast<DWORD>(capacity), &read, nullptr)) read = 0;
  CloseHandle(file);
  return read;
}

extern "C" void* hostMapFile(const char* unixPath, size_t bytes, intptr_t* mapping) {
  char path[MAX_PATH] = "Z:";
  size_t used = 2;
  for (const char* p = unixPath; *p != 0 && used + 1 < sizeof(path); ++p) {
    path[used++] = *p == '/' ? '\\' : *p;
  }
  path[used] = 0;
  *mapping = 0;
  HANDLE file = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                            nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) return nullptr;
  HANDLE section = CreateFileMappingA(file, nullptr, PAGE_READWRITE, 0, 0, nullptr);
  CloseHandle(file);  // the section keeps the file
  if (section == nullptr) return nullptr;
  void* view = MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, bytes);
  if (view == nullptr) {
    CloseHandle(section);
    return nullptr;
  }
  *mapping = reinterpret_cast<intptr_t>(section);
  return view;
}

extern "C" void hostUnmapFile(void* view, intptr_t mapping) {
  if (view != nullptr) UnmapViewOfFile(view);
  if (mapping != 0) CloseHandle(reinterpret_cast<HANDLE>(mapping));
}

extern "C" bool hostPatchImport(const char* module, const char* importModule,
                                const char* function, const void* replacement) {
  auto* base = reinterpret_cast<BYTE*>(GetModuleHandleA(module));
  if (base == nullptr) return false;
  const auto* dos = reinterpret_cast<const IMAGE_DOS_HEADER*>(base);
  const auto* nt = reinterpret_cast<const IMAGE_NT_HEADERS64*>(base + dos->e_lfanew);
  const IMAGE_DATA_DIRECTORY& directory =
      nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
  if (directory.VirtualAddress == 0) return false;
  for (auto* entry = reinterpret_cast<const IMAGE_IMPORT_DESCRIPTOR*>(base + directory.VirtualAddress);
       entry->Name != 0; ++entry) {
    if (lstrcmpiA(reinterpret_cast<const char*>(base + entry->Name), importModule) != 0) continue;
    auto* names = reinterpret_cast<const IMAGE_THUNK_DATA64*>(
        base + (entry->OriginalFirstThunk != 0 ? entry->OriginalFirstThunk : entry->FirstThunk));
    auto* slots = reinterpret_cast<IMAGE_THUNK_DATA64*>(base + entry->FirstThunk);
    for (; names->u1.AddressOfData != 0; ++names, ++slots) {
      if (IMAGE_SNAP_BY_ORDINAL64(names->u1.Ordinal)) continue;
      const auto* byName =
          reinterpret_cast<const IMAGE_IMPORT_BY_NAME*>(base + names->u1.AddressOfData);
      if (lstrcmpA(reinterpret_cast<const char*>(byName->Name), function) != 0) continue;
      DWORD old;
      if (!VirtualProtect(&slots->u1.Function, sizeof(slots->u1.Function), PAGE_READWRITE, &old)) {
        return false;
      }
      slots->u1.Function = reinterpret_cast<ULONGLONG>(replacement);
      VirtualProtect(&slots->u1.Function, sizeof(slots->u1.Function), old, &old);
      return true;
    }
  }
  return false;
}

extern "C" int hostUdpStartup() {
  return InitOnceExecuteOnce(&g_wsaOnce, startWinsock, nullptr, nullptr) ? 0 : WSASYSNOTREADY;
}

extern "C" int hostUdpOpen(intptr_t* handle) {
  const int error = hostUdpStartup();
  if (error != 0) return error;
  SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  if (s == INVALID_SOCKET) return WSAGetLastError();
  *handle = static_cast<intptr_t>(s);
  return 0;
}

extern "C" int hostUdpBind(intptr_t handle, const uint8_t address[4], uint16_t port) {
  const sockaddr_in local = socketAddress(address, port);
  if (bind(static_cast<SOCKET>(handle), reinterpret_cast<const sockaddr*>(&local),
           sizeof(local)) != 0) {
    return WSAGetLastError();
  }
  return 0;
}

extern "C" int hostUdpSetIpOption(intptr_t handle, int name, const void* value, int size) {
  if (setsockopt(static_cast<SOCKET>(handle), IPPROTO_IP, name, static_cast<const char*>(value),
                 size) != 0) {
    return WSAGetLastError();
  }
  return 0;
}

extern "C" int hostUdpSetSocketOption(intptr_t handle, int name, const void* value, int size) {
  if (setsockopt(static_cast<SOCKET>(handle), SOL_SOCKET, name, static_cast<const char*>(value),
                 size) != 0) {
    return WSAGetLastError();
  }
  return 0;
}

extern "C" int hostUdpSendTo(intptr_t handle, const void* data, size_t size,
                             const uint8_t address[4], uint16_t port) {
  const sockaddr_in remote = socketAddress(address, port);
  const int sent = sendto(static_cast<SOCKET>(handle), static_cast<const char*>(data),
                          static_cast<int>(size), 0, reinterpret_cast<const sockaddr*>(&remote),
                          sizeof(remote));
  if (sent < 0) return WSAGetLastError();
  return sent == static_cast<int>(size) ? 0 : WSAEMSGSIZE;
}

extern "C" void hostUdpClose(intptr_t handle) { closesocket(static_cast<SOCKET>(handle)); }
