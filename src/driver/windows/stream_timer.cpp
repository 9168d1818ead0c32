// EX_TIMER looked up at run time, KTIMER + KDPC where the kernel lacks it (see stream_timer.h).
#include "stream_timer.h"

#include "kernel_routines.h"

bool StreamTimer::highResolution() { return g_kernel.highResolutionTimer(); }

NTSTATUS StreamTimer::initialize(Callback callback, void* context) {
  callback_ = callback;
  context_ = context;
  if (highResolution()) {
    exTimer_ = g_kernel.allocateTimer(exCallback, this, EX_TIMER_HIGH_RESOLUTION);
    if (exTimer_ == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  } else {
    KeInitializeTimerEx(&timer_, NotificationTimer);
    KeInitializeDpc(&dpc_, dpcCallback, this);
  }
  initialized_ = true;
  return STATUS_SUCCESS;
}

void StreamTimer::destroy() {
  if (!initialized_) return;
  stop();
  if (exTimer_ != nullptr) g_kernel.deleteTimer(exTimer_, TRUE, TRUE, nullptr);  // cancel, wait
  exTimer_ = nullptr;
  initialized_ = false;
}

void StreamTimer::start(ULONG periodMs) {
  if (!initialized_ || running_) return;
  const LONGLONG period = 10000LL * periodMs;  // 100 ns units
  if (exTimer_ != nullptr) {
    g_kernel.setTimer(exTimer_, -period, period, nullptr);  // high resolution: relative due time
  } else {
    LARGE_INTEGER dueTime;
    dueTime.QuadPart = -period;
    KeSetTimerEx(&timer_, dueTime, static_cast<LONG>(periodMs), &dpc_);
  }
  running_ = true;
}

void StreamTimer::stop() {
  if (!running_) return;
  if (exTimer_ != nullptr) {
    g_kernel.cancelTimer(exTimer_, nullptr);
  } else {
    KeCancelTimer(&timer_);
  }
  KeFlushQueuedDpcs();  // both kinds expire through DPCs: one already queued finishes first
  running_ = false;
}

void NTAPI StreamTimer::exCallback(PEX_TIMER, PVOID context) {
  auto* self = static_cast<StreamTimer*>(context);
  self->callback_(self->context_);
}

void NTAPI StreamTimer::dpcCallback(PKDPC, PVOID context, PVOID, PVOID) {
  auto* self = static_cast<StreamTimer*>(context);
  self->callback_(self->context_);
}
