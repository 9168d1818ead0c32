// State of the driver and of each device.
//
// Driver-wide (g_driver, constant-initialised: no static constructor runs in a driver): the
// options read from the service key in DriverEntry, read-only afterwards, and PortCls's unload
// routine.
//
// Per device (DeviceState, in the device extension behind PortCls's part): the WSK registration,
// socket, packet pool and work item, the IVSHMEM output (when UseIVSHMEM names a device), and
// the mute switch. Each root-enumerated device is its
// own endpoint and sender; removing one closes only its own socket.
#pragma once

#include "driver/core/sender_settings.h"
#include "ivshmem_output.h"
#include "wsk_sender.h"

struct DriverGlobals {
  scream::driver::SenderSettings settings{};
  PDRIVER_UNLOAD portClsUnload = nullptr;  // PortCls's unload, chained from ours
};

extern DriverGlobals g_driver;

struct DeviceState {
  WskSender sender{};
  IvshmemOutput ivshmem{};  // takes the stream while active(); else the sender does
  volatile LONG muted = 0;  // topology mute node; the stream's timer callback reads it
};

// The DeviceState of a device created by PcAddAdapterDevice (adapter.cpp).
DeviceState* deviceStateOf(PDEVICE_OBJECT device);
