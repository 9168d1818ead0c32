// Kernel routines the driver uses only where the kernel really has them, looked up once at
// PASSIVE_LEVEL in DriverEntry with MmGetSystemRoutineAddress instead of being imported (a
// driver with a missing import does not load on Windows; Wine loads it and aborts on the call).
//
//  - ExAllocateTimer, ExSetTimer, ExCancelTimer, ExDeleteTimer: the high-resolution EX_TIMER
//    (Windows 8.1 and later). Wine 8.0 does not export them.
//  - IoSetCompletionRoutineEx: keeps the device object (and so the driver image) referenced until
//    a completion routine has returned. Windows has it since XP; Wine 8.0 exports it as a stub
//    that aborts the process when called, so it cannot be told apart by looking it up. It is
//    therefore used only together with the EX_TIMER set, as a kernel at least Windows 8.1's; on
//    any other kernel (in practice: Wine) sends use plain IoSetCompletionRoutine.
#pragma once

#include "kernel.h"

struct KernelRoutines {
  decltype(&ExAllocateTimer) allocateTimer;
  decltype(&ExSetTimer) setTimer;
  decltype(&ExCancelTimer) cancelTimer;
  decltype(&ExDeleteTimer) deleteTimer;
  decltype(&IoSetCompletionRoutineEx) setCompletionRoutineEx;

  bool highResolutionTimer() const { return allocateTimer != nullptr; }
};

// Written once by resolveKernelRoutines() in DriverEntry, read-only afterwards.
extern KernelRoutines g_kernel;
void resolveKernelRoutines();  // PASSIVE_LEVEL; logs what it found
