// The one header the driver's glue includes instead of <portcls.h>: it fills the gaps of the
// mingw-w64 DDK headers (see shared/WINDOWS-DRIVER.md) before pulling them in, so every
// translation unit sees the same Windows 10 view of PortCls, KS and WDM.
#pragma once

#ifndef NTDDI_VERSION
#define NTDDI_VERSION 0x0A000000  // Windows 10: without it portcls.h skips the WaveRT part
#endif
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif

// Attributes MSVC knows and the mingw headers use without defining.
#ifndef DECLSPEC_NOVTABLE
#define DECLSPEC_NOVTABLE
#endif
#ifndef DECLSPEC_NOTHROW
#define DECLSPEC_NOTHROW
#endif

#include <ntddk.h>

typedef WCHAR TCHAR;  // ksmedia.h spells some names with TCHAR

// WaveRT structures that portcls.h uses but no mingw header declares (layout from Microsoft's
// documentation of ksmedia.h; the driver never fills a register, it answers NOT_SUPPORTED).
typedef struct {
  PVOID Register;
  ULONG Width;
  ULONGLONG Numerator;
  ULONGLONG Denominator;
  ULONG Accuracy;
} KSRTAUDIO_HWREGISTER, *PKSRTAUDIO_HWREGISTER;

typedef struct {
  ULONG FifoSize;
  ULONG ChipsetDelay;
  ULONG CodecDelay;
} KSRTAUDIO_HWLATENCY, *PKSRTAUDIO_HWLATENCY;

#include <punknown.h>
#include <ks.h>
#include <ksmedia.h>
#include <portcls.h>

static_assert(sizeof(KSRTAUDIO_HWREGISTER) == 40, "KSRTAUDIO_HWREGISTER layout");
static_assert(FIELD_OFFSET(KSRTAUDIO_HWREGISTER, Numerator) == 16, "KSRTAUDIO_HWREGISTER layout");
static_assert(FIELD_OFFSET(KSRTAUDIO_HWREGISTER, Accuracy) == 32, "KSRTAUDIO_HWREGISTER layout");
static_assert(sizeof(KSRTAUDIO_HWLATENCY) == 12, "KSRTAUDIO_HWLATENCY layout");

// The driver's own bug-check code ('SCRM'; 0xDEADDEAD, used before, is MANUALLY_INITIATED_CRASH1,
// the debugger's, and would hide whose bug it was). Parameter 1 says what happened.
constexpr ULONG kScreamBugCheckCode = 0x5343524D;
constexpr ULONG_PTR kScreamBugCheckPureVirtualCall = 1;  // parameter 2: the caller's address

// Pool tag of every allocation the driver makes ('Scrm' as it reads in a pool dump).
constexpr ULONG kScreamPoolTag = 0x6D726353;  // 'Scrm' little endian

// The only allocation the driver's C++ may use: pool type and tag spelled out, memory zeroed.
// There is deliberately no operator new(size_t): a `new` without a pool type fails to link.
void* operator new(size_t size, POOL_TYPE pool, ULONG tag) noexcept;
void operator delete(void* pointer, size_t size) noexcept;
void operator delete(void* pointer, POOL_TYPE pool, ULONG tag) noexcept;  // failed constructors

// Debug log (DbgPrintEx; visible in WinDbg or DebugView with the IHVAUDIO filter enabled).
// The mingw headers lack dpfilter.h, so the component id and levels are spelled out here.
constexpr ULONG kDebugComponentIhvAudio = 79;  // DPFLTR_IHVAUDIO_ID
constexpr ULONG kDebugLevelError = 0;          // DPFLTR_ERROR_LEVEL
constexpr ULONG kDebugLevelInfo = 3;           // DPFLTR_INFO_LEVEL
#define SCREAM_LOG_ERROR(...) DbgPrintEx(kDebugComponentIhvAudio, kDebugLevelError, "scream: " __VA_ARGS__)
#define SCREAM_LOG_INFO(...) DbgPrintEx(kDebugComponentIhvAudio, kDebugLevelInfo, "scream: " __VA_ARGS__)
