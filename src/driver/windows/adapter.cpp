// Plain WDM PortCls adapter: DriverEntry, AddDevice, StartDevice (creates the topology and
// WaveRT subdevices and connects them), PnP removal and unload chained to PortCls's.
#include "com_object.h"
#include "driver_globals.h"
#include "registry_settings.h"
#include "kernel_routines.h"
#include "topology_miniport.h"
#include "wave_miniport.h"

DriverGlobals g_driver;

DeviceState* deviceStateOf(PDEVICE_OBJECT device) {
  return reinterpret_cast<DeviceState*>(static_cast<UCHAR*>(device->DeviceExtension) +
                                        PORT_CLASS_DEVICE_EXTENSION_SIZE);
}

namespace {

constexpr ULONG kMaxMiniports = 2;
// Subdevice names; scream.inf registers its interfaces under the same names.
WCHAR kWaveName[] = L"Wave";
WCHAR kTopologyName[] = L"Topology";

// Creates port + miniport, initialises and registers them. On success *port keeps a reference
// the caller releases after connecting the filters.
template <class Miniport>
NTSTATUS installSubdevice(PDEVICE_OBJECT device, PIRP irp, PRESOURCELIST resources,
                          REFCLSID portClass, PWCHAR name, PPORT* port) {
  *port = nullptr;
  PPORT created = nullptr;
  NTSTATUS status = PcNewPort(&created, portClass);
  if (!NT_SUCCESS(status)) return status;
  Miniport* miniport = createComObject<Miniport>(deviceStateOf(device));
  if (miniport == nullptr) {
    created->Release();
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  status = created->Init(device, irp, miniport, nullptr, resources);
  if (NT_SUCCESS(status)) status = PcRegisterSubdevice(device, name, created);
  miniport->Release();  // the port holds its own reference
  if (!NT_SUCCESS(status)) {
    SCREAM_LOG_ERROR("subdevice %ws not installed: 0x%08lx\n", name, status);
    created->Release();
    return status;
  }
  *port = created;
  return STATUS_SUCCESS;
}

// Tears the device's sender down (PASSIVE_LEVEL; no stream of the device is open).
void stopSender(DeviceState* state) {
  state->ivshmem.detachDevice();
  state->sender.detachDevice();
  state->sender.unregisterClient();
}

NTSTATUS NTAPI startDevice(PDEVICE_OBJECT device, PIRP irp, PRESOURCELIST resources) {
  DeviceState* state = deviceStateOf(device);
  state->sender.configure(g_driver.settings);
  NTSTATUS status = state->sender.registerClient();
  if (NT_SUCCESS(status)) status = state->sender.attachDevice(device);
  if (NT_SUCCESS(status)) {
    status = state->ivshmem.attachDevice(device, g_driver.settings.ivshmemMiB,
                                         g_driver.settings.ivshmemChunkMs);
  }
  if (!NT_SUCCESS(status)) {
    stopSender(state);
    return status;
  }
  PPORT topology = nullptr;
  PPORT wave = nullptr;
  status = installSubdevice<TopologyMiniport>(device, irp, resources, CLSID_PortTopology,
                                              kTopologyName, &topology);
  if (NT_SUCCESS(status)) {
    status = installSubdevice<WaveMiniport>(device, irp, resources, CLSID_PortWaveRT, kWaveName,
                                            &wave);
  }
  if (NT_SUCCESS(status)) {
    status = PcRegisterPhysicalConnection(device, wave, kWavePinBridge, topology,
                                          kTopologyPinFromWave);
  }
  if (wave != nullptr) wave->Release();
  if (topology != nullptr) topology->Release();
  return status;
}

NTSTATUS NTAPI addDevice(PDRIVER_OBJECT driver, PDEVICE_OBJECT physicalDevice) {
  // The extension size is the total: PortCls's part, then ours.
  NTSTATUS status = PcAddAdapterDevice(driver, physicalDevice, startDevice, kMaxMiniports,
                                       PORT_CLASS_DEVICE_EXTENSION_SIZE + sizeof(DeviceState));
  if (!NT_SUCCESS(status)) return status;
  // PcAddAdapterDevice creates the FDO; it is the last device object the driver created.
  PDEVICE_OBJECT device = driver->DeviceObject;
  if (device == nullptr) return STATUS_UNSUCCESSFUL;
  ::new (deviceStateOf(device)) DeviceState();
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI dispatchPnp(PDEVICE_OBJECT device, PIRP irp) {
  const PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
  // The device's streams are gone by now (PortCls's own handles closed); its socket, work item
  // and WSK registration go too. Other devices are untouched.
  if (stack->MinorFunction == IRP_MN_REMOVE_DEVICE) stopSender(deviceStateOf(device));
  return PcDispatchIrp(device, irp);
}

void NTAPI driverUnload(PDRIVER_OBJECT driver) {
  if (g_driver.portClsUnload != nullptr) g_driver.portClsUnload(driver);
}

}  // namespace

extern "C" NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registryPath) {
  loadSenderSettings(registryPath, &g_driver.settings);
  resolveKernelRoutines();
  const NTSTATUS status = PcInitializeAdapterDriver(driver, registryPath, addDevice);
  if (!NT_SUCCESS(status)) return status;
  g_driver.portClsUnload = driver->DriverUnload;
  driver->DriverUnload = driverUnload;
  driver->MajorFunction[IRP_MJ_PNP] = dispatchPnp;
  return STATUS_SUCCESS;
}
