// State shared by the whole driver. There is one root-enumerated device per driver, so the
// settings, the socket and the mute switch live here rather than in a device extension.
// Every member is constant-initialised (no static constructor runs in a driver).
#pragma once

#include "driver/core/sender_settings.h"
#include "wsk_sender.h"

struct DriverGlobals {
  scream::driver::SenderSettings settings{};
  WskSender sender{};
  PDRIVER_UNLOAD portClsUnload = nullptr;  // PortCls's unload, chained from ours
  volatile LONG muted = 0;                 // topology mute node; the stream DPC reads it
};

extern DriverGlobals g_driver;
