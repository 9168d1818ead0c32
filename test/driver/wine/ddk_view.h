// The PortCls/KS view of the test doubles: mingw-w64's DDK headers plus the few declarations
// they lack, written here from Microsoft's documentation. Deliberately independent of the
// driver's kernel.h, so that the doubles do not inherit a mistake from the code under test.
#pragma once

#ifndef NTDDI_VERSION
#define NTDDI_VERSION 0x0A000000  // portcls.h declares the WaveRT interfaces from Vista on
#endif
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
#define DECLSPEC_NOVTABLE
#define DECLSPEC_NOTHROW
#define PC_NO_IMPORTS  // this side implements the Pc* routines

#include <ntddk.h>

typedef WCHAR TCHAR;

// ksmedia.h (Microsoft docs): a hardware register the stream may expose, and its FIFO latency.
struct KSRTAUDIO_HWREGISTER {
  PVOID Register;
  ULONG Width;
  ULONGLONG Numerator;
  ULONGLONG Denominator;
  ULONG Accuracy;
};
typedef KSRTAUDIO_HWREGISTER* PKSRTAUDIO_HWREGISTER;
struct KSRTAUDIO_HWLATENCY {
  ULONG FifoSize;
  ULONG ChipsetDelay;
  ULONG CodecDelay;
};
typedef KSRTAUDIO_HWLATENCY* PKSRTAUDIO_HWLATENCY;

#include <punknown.h>
#include <ks.h>
#include <ksmedia.h>
#include <portcls.h>

// KSCATEGORY_REALTIME, which WaveRT filters must list (not in mingw-w64's ksmedia.h).
constexpr GUID kCategoryRealtimeGuid = {
    0xEB115FFC, 0x10C8, 0x4964, {0x83, 0x1D, 0x6D, 0xCB, 0x02, 0xE6, 0xF2, 0x3F}};
