// Run-time lookup of the kernel routines the driver does not import (see kernel_routines.h).
#include "kernel_routines.h"

KernelRoutines g_kernel = {nullptr, nullptr, nullptr, nullptr, nullptr};

namespace {

template <class Routine>
Routine lookUp(const wchar_t* name) {
  UNICODE_STRING text;
  RtlInitUnicodeString(&text, name);
  return reinterpret_cast<Routine>(MmGetSystemRoutineAddress(&text));
}

}  // namespace

void resolveKernelRoutines() {
  KernelRoutines found = {
      lookUp<decltype(&ExAllocateTimer)>(L"ExAllocateTimer"),
      lookUp<decltype(&ExSetTimer)>(L"ExSetTimer"),
      lookUp<decltype(&ExCancelTimer)>(L"ExCancelTimer"),
      lookUp<decltype(&ExDeleteTimer)>(L"ExDeleteTimer"),
      lookUp<decltype(&IoSetCompletionRoutineEx)>(L"IoSetCompletionRoutineEx"),
  };
  if (found.allocateTimer == nullptr || found.setTimer == nullptr ||
      found.cancelTimer == nullptr || found.deleteTimer == nullptr) {
    found = KernelRoutines{nullptr, nullptr, nullptr, nullptr, nullptr};
    SCREAM_LOG_INFO("stream timer: KTIMER (this kernel has no ExAllocateTimer)\n");
    SCREAM_LOG_INFO("send completion: IoSetCompletionRoutine (kernel older than Windows 8.1, or Wine)\n");
  } else {
    SCREAM_LOG_INFO("stream timer: high-resolution EX_TIMER\n");
    SCREAM_LOG_INFO("send completion: IoSetCompletionRoutineEx%s\n",
                    found.setCompletionRoutineEx != nullptr ? "" : " missing, IoSetCompletionRoutine");
  }
  g_kernel = found;
}
