// The Win32 half of the test doubles: files and ws2_32 sockets. Wine runs a .sys inside an
// ordinary process (winedevice.exe), so a test double may call user-mode APIs; this header keeps
// windows.h away from the translation units that include the DDK headers (the two clash).
#pragma once

#include <stddef.h>
#include <stdint.h>

extern "C" {

// Files live in C:\scream-wine\ of the Wine prefix; the Linux test reads them there.
void hostAppendLine(const char* fileName, const char* line);  // adds '\n'
void hostCreateMarker(const char* fileName);                  // empty file
size_t hostReadFile(const char* fileName, char* buffer, size_t capacity);  // 0 if absent

// A Unix file (e.g. /dev/shm/NAME, seen by Wine as Z:\dev\shm\NAME) mapped shared and
// writable into this process: Wine maps it with mmap(MAP_SHARED), so a Linux process mapping
// the same file sees every store at once. Returns the view, or nullptr; *mapping is the handle
// hostUnmapFile closes.
void* hostMapFile(const char* unixPath, size_t bytes, intptr_t* mapping);
void hostUnmapFile(void* view, intptr_t mapping);

// Replaces the import `function` of `importModule` in the loaded module `module` with
// `replacement` (its import address table slot). Returns false if there is no such import.
bool hostPatchImport(const char* module, const char* importModule, const char* function,
                     const void* replacement);

// UDP over ws2_32. Every call returns 0 or the WSA error code.
int hostUdpStartup();  // WSAStartup, once; slow the first time, so done before it is needed
int hostUdpOpen(intptr_t* handle);
int hostUdpBind(intptr_t handle, const uint8_t address[4], uint16_t port);
int hostUdpSetIpOption(intptr_t handle, int name, const void* value, int size);
int hostUdpSetSocketOption(intptr_t handle, int name, const void* value, int size);  // SOL_SOCKET
int hostUdpSendTo(intptr_t handle, const void* data, size_t size, const uint8_t address[4],
                  uint16_t port);
void hostUdpClose(intptr_t handle);

}  // extern "C"
