// Plain WDM PortCls adapter: DriverEntry, AddDevice, StartDevice (creates the topology and
// WaveRT subdevices and connects them), PnP removal and unload chained to PortCls's.
#include "driver_globals.h"
#include "registry_settings.h"
#include "kernel_routines.h"
#include "topology_miniport.h"
#include "wave_miniport.h"

DriverGlobals g_driver;

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
  Miniport* miniport = createComObject<Miniport>();
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

NTSTATUS NTAPI startDevice(PDEVICE_OBJECT device, PIRP irp, PRESOURCELIST resources) {
  NTSTATUS status = g_driver.sender.attachDevice(device);
  if (!NT_SUCCESS(status)) return status;
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
  return PcAddAdapterDevice(driver, physicalDevice, startDevice, kMaxMiniports, 0);
}

NTSTATUS NTAPI dispatchPnp(PDEVICE_OBJECT device, PIRP irp) {
  const PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
  // Streams are gone by now; the socket and the work item (tied to this device) go too.
  if (stack->MinorFunction == IRP_MN_REMOVE_DEVICE) g_driver.sender.detachDevice();
  return PcDispatchIrp(device, irp);
}

void NTAPI driverUnload(PDRIVER_OBJECT driver) {
  g_driver.sender.unregisterClient();
  if (g_driver.portClsUnload != nullptr) g_driver.portClsUnload(driver);
}

}  // namespace

extern "C" NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registryPath) {
  loadSenderSettings(registryPath, &g_driver.settings);
  resolveKernelRoutines();
  g_driver.sender.configure(g_driver.settings);
  if (g_driver.settings.ivshmemMiB != 0) {
    SCREAM_LOG_ERROR("UseIVSHMEM is not supported by this driver; sending over the network\n");
  }
  NTSTATUS status = g_driver.sender.registerClient();
  if (!NT_SUCCESS(status)) return status;
  status = PcInitializeAdapterDriver(driver, registryPath, addDevice);
  if (!NT_SUCCESS(status)) {
    g_driver.sender.unregisterClient();
    return status;
  }
  g_driver.portClsUnload = driver->DriverUnload;
  driver->DriverUnload = driverUnload;
  driver->MajorFunction[IRP_MJ_PNP] = dispatchPnp;
  return STATUS_SUCCESS;
}
