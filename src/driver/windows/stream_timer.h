// The stream's periodic timer: a high-resolution EX_TIMER (ExAllocateTimer with
// EX_TIMER_HIGH_RESOLUTION, Windows 8.1 and later), as Microsoft's SimpleAudioSample uses, so the
// period holds without ExSetTimerResolution (which forced a global 1 ms tick and can deadlock
// when called while a power IRP is processed, as PortCls pauses streams around power changes).
//
// The four Ex*Timer routines are looked up at run time (kernel_routines.h), not imported:
// Wine 8.0's ntoskrnl.exe does not export them. Where they are missing (Wine, or a Windows older
// than 8.1) the timer falls back to a KTIMER + KDPC at the same period, without
// ExSetTimerResolution: there the period is whatever the system tick gives.
#pragma once

#include "kernel.h"

class StreamTimer {
 public:
  using Callback = void (*)(void* context);  // at DISPATCH_LEVEL

  static bool highResolution();  // the kernel has the EX_TIMER routines

  // PASSIVE_LEVEL. Allocates the timer object (EX_TIMER) or initialises the KTIMER.
  NTSTATUS initialize(Callback callback, void* context);
  // PASSIVE_LEVEL. Stops and frees; no callback runs once it returns.
  void destroy();

  // Periodic from `periodMs` from now. The callback must not re-arm or cancel.
  void start(ULONG periodMs);
  // PASSIVE_LEVEL: no callback runs once it returns (a queued one finishes first).
  void stop();

 private:
  static void NTAPI exCallback(PEX_TIMER timer, PVOID context);
  static void NTAPI dpcCallback(PKDPC dpc, PVOID context, PVOID, PVOID);

  Callback callback_ = nullptr;
  void* context_ = nullptr;
  PEX_TIMER exTimer_ = nullptr;
  KTIMER timer_{};
  KDPC dpc_{};
  bool initialized_ = false;
  bool running_ = false;
};
