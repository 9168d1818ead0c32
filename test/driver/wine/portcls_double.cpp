// portcls.sys double, PnP and port half: the Pc* routines scream.sys imports, port objects for
// the topology and WaveRT miniports, and a scenario thread that plays the PnP manager
// (AddDevice, IRP_MN_START_DEVICE, IRP_MN_REMOVE_DEVICE) around the audio engine (audio_engine.cpp).
//
// Written from Microsoft's PortCls documentation and mingw-w64's portcls.h, never from the
// driver's headers. Record: C:\scream-wine\portcls.log; C:\scream-wine\done when the scenario ends.
#include <initguid.h>  // this translation unit defines the PortCls IIDs and CLSIDs

#include "portcls_double.h"

extern const char kPortClsRecord[] = "portcls.log";

namespace {

// One port object, for both kinds (IPortTopology and IPortWaveRT have IPort's vtable).
template <class Interface>
class Port : public Interface {
 public:
  Port(const GUID& portIid, const GUID& miniportIid, const char* kind)
      : portIid_(portIid), miniportIid_(miniportIid), kind_(kind) {}

  STDMETHODIMP_(NTSTATUS) QueryInterface(REFIID iid, PVOID* object) override {
    if (IsEqualGUIDAligned(iid, IID_IUnknown) || IsEqualGUIDAligned(iid, IID_IPort) ||
        IsEqualGUIDAligned(iid, portIid_)) {
      *object = static_cast<Interface*>(this);
      AddRef();
      return STATUS_SUCCESS;
    }
    *object = nullptr;
    return STATUS_INVALID_PARAMETER;
  }
  STDMETHODIMP_(ULONG) AddRef() override { return InterlockedIncrement(&refs_); }
  STDMETHODIMP_(ULONG) Release() override {
    const LONG refs = InterlockedDecrement(&refs_);
    if (refs == 0) {
      if (miniport_ != nullptr) miniport_->Release();  // never registered as a subdevice
      ExFreePoolWithTag(this, kDoublePoolTag);
    }
    return refs;
  }

  // IPort::Init: the miniport is handed over as IUnknown and must answer for its interface.
  STDMETHODIMP_(NTSTATUS) Init(PDEVICE_OBJECT, PIRP, PUNKNOWN unknownMiniport,
                               PUNKNOWN unknownAdapter, PRESOURCELIST resources) override {
    PVOID miniport = nullptr;
    NTSTATUS status = unknownMiniport->QueryInterface(miniportIid_, &miniport);
    if (!NT_SUCCESS(status) || miniport == nullptr) {
      recordLine(kPortClsRecord, "port init kind=%s miniport_qi=0x%08lx", kind_, status);
      return STATUS_INVALID_PARAMETER;
    }
    miniport_ = static_cast<IMiniport*>(miniport);
    status = initMiniport(unknownAdapter, resources);
    PPCFILTER_DESCRIPTOR description = nullptr;
    if (NT_SUCCESS(status)) status = miniport_->GetDescription(&description);
    recordLine(kPortClsRecord, "port init kind=%s status=0x%08lx", kind_, status);
    if (NT_SUCCESS(status)) recordDescriptor(description);
    return status;
  }
  STDMETHODIMP_(NTSTATUS) GetDeviceProperty(DEVICE_REGISTRY_PROPERTY, ULONG, PVOID,
                                            PULONG) override {
    recordLine(kPortClsRecord, "unexpected IPort::GetDeviceProperty");
    return STATUS_NOT_IMPLEMENTED;
  }
  STDMETHODIMP_(NTSTATUS) NewRegistryKey(PREGISTRYKEY*, PUNKNOWN, ULONG, ACCESS_MASK,
                                         POBJECT_ATTRIBUTES, ULONG, PULONG) override {
    recordLine(kPortClsRecord, "unexpected IPort::NewRegistryKey");
    return STATUS_NOT_IMPLEMENTED;
  }

  IMiniport* miniport() const { return miniport_; }

  // Device removal: PortCls drops its miniport before the port goes. The miniport usually holds
  // its port (Microsoft's samples do), so only this breaks the cycle.
  static ULONG releaseMiniportOf(IPort* port) {
    auto* self = static_cast<Port*>(static_cast<Interface*>(port));
    IMiniport* miniport = self->miniport_;
    self->miniport_ = nullptr;
    return miniport != nullptr ? miniport->Release() : 0;
  }
  const char* kind() const { return kind_; }

 private:
  NTSTATUS initMiniport(PUNKNOWN adapter, PRESOURCELIST resources);

  void recordDescriptor(const PCFILTER_DESCRIPTOR* d) {
    recordLine(kPortClsRecord,
               "descriptor kind=%s pin_size_ok=%d pins=%lu node_size_ok=%d nodes=%lu "
               "connections=%lu categories=%lu",
               kind_, d->PinSize == sizeof(PCPIN_DESCRIPTOR), d->PinCount,
               d->NodeCount == 0 || d->NodeSize == sizeof(PCNODE_DESCRIPTOR), d->NodeCount,
               d->ConnectionCount, d->CategoryCount);
    for (ULONG c = 0; c < d->CategoryCount; ++c) {
      const GUID& g = d->Categories[c];
      recordLine(kPortClsRecord, "category kind=%s guid=%08lX-%04X-%04X", kind_, g.Data1,
                 g.Data2, g.Data3);
    }
  }

  volatile LONG refs_ = 1;
  const GUID portIid_;
  const GUID miniportIid_;
  const char* kind_;
  IMiniport* miniport_ = nullptr;
};

template <>
NTSTATUS Port<IPortWaveRT>::initMiniport(PUNKNOWN adapter, PRESOURCELIST resources) {
  return static_cast<IMiniportWaveRT*>(miniport_)->Init(adapter, resources, this);
}
template <>
NTSTATUS Port<IPortTopology>::initMiniport(PUNKNOWN adapter, PRESOURCELIST resources) {
  return static_cast<IMiniportTopology*>(miniport_)->Init(adapter, resources, this);
}

template <class P, class... Args>
P* createPort(Args... args) {
  void* memory = ExAllocatePoolWithTag(NonPagedPool, sizeof(P), kDoublePoolTag);
  return memory != nullptr ? new (memory) P(args...) : nullptr;
}

constexpr ULONG kMaxSubdevices = 4;
struct Subdevice {
  WCHAR name[32];
  IPort* port;
  ULONG (*releaseMiniport)(IPort* port);
};

// One device the PnP manager added (plain data: no constructor runs in a .sys).
struct Device {
  PDEVICE_OBJECT pdo;
  PDEVICE_OBJECT fdo;
  Port<IPortWaveRT>* wavePort;
  Port<IPortTopology>* topologyPort;
  Subdevice subdevices[kMaxSubdevices];
  ULONG subdeviceCount;
};
constexpr ULONG kMaxDevices = 2;

// The driver this double serves and its devices.
struct Adapter {
  PDRIVER_OBJECT driver;
  PDRIVER_UNLOAD portClsUnload;
  PCPFNSTARTDEVICE startDevice;
  Device devices[kMaxDevices];
  ULONG deviceCount;
  Device* adding;  // the device whose AddDevice is running
  Scenario scenario;
};
Adapter g_adapter;

Device* deviceOfFdo(PDEVICE_OBJECT fdo) {
  for (ULONG i = 0; i < g_adapter.deviceCount; ++i) {
    if (g_adapter.devices[i].fdo == fdo) return &g_adapter.devices[i];
  }
  return nullptr;
}

ULONG indexOf(const Device* device) { return static_cast<ULONG>(device - g_adapter.devices); }

const char* subdeviceName(PUNKNOWN unknown, char* out, size_t size) {
  for (ULONG d = 0; d < g_adapter.deviceCount; ++d) {
    const Device& device = g_adapter.devices[d];
    for (ULONG i = 0; i < device.subdeviceCount; ++i) {
      if (static_cast<PUNKNOWN>(device.subdevices[i].port) == unknown) {
        size_t n = 0;
        for (; n + 1 < size && device.subdevices[i].name[n] != 0; ++n) {
          out[n] = static_cast<char>(device.subdevices[i].name[n]);
        }
        out[n] = 0;
        return out;
      }
    }
  }
  return "unregistered";
}

NTSTATUS NTAPI irpDone(PDEVICE_OBJECT, PIRP, PVOID context) {
  KeSetEvent(static_cast<PKEVENT>(context), IO_NO_INCREMENT, FALSE);
  return STATUS_MORE_PROCESSING_REQUIRED;  // the IRP is ours; sendPnp frees it
}

// Sends a PnP IRP down the driver's own dispatch table, as the PnP manager would.
NTSTATUS sendPnp(Device* device, UCHAR minor) {
  PIRP irp = IoAllocateIrp(device->fdo->StackSize, FALSE);
  if (irp == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
  PIO_STACK_LOCATION stack = IoGetNextIrpStackLocation(irp);
  stack->MajorFunction = IRP_MJ_PNP;
  stack->MinorFunction = minor;
  stack->DeviceObject = device->fdo;
  KEVENT done;
  KeInitializeEvent(&done, NotificationEvent, FALSE);
  IoSetCompletionRoutine(irp, irpDone, &done, TRUE, TRUE, TRUE);
  IoCallDriver(device->fdo, irp);
  KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, nullptr);
  const NTSTATUS status = irp->IoStatus.Status;
  IoFreeIrp(irp);
  return status;
}

bool waitForDriverEntry() {
  // DriverEntry has returned once it replaced the unload routine PcInitializeAdapterDriver set
  // (the driver chains it); it must, or PortCls's cleanup would never run.
  for (int i = 0; i < 200; ++i) {
    if (g_adapter.driver->DriverUnload != g_adapter.portClsUnload) {
      sleepMs(50);  // let DriverEntry return and Wine mark the service running
      return true;
    }
    sleepMs(10);
  }
  return false;
}

// PnP: a PDO, AddDevice, IRP_MN_START_DEVICE. Returns the started device or nullptr.
Device* addAndStartDevice() {
  if (g_adapter.deviceCount == kMaxDevices) return nullptr;
  Device* device = &g_adapter.devices[g_adapter.deviceCount++];
  const ULONG index = indexOf(device);
  NTSTATUS status = IoCreateDevice(g_adapter.driver, 0, nullptr, FILE_DEVICE_BUS_EXTENDER,
                                   FILE_AUTOGENERATED_DEVICE_NAME, FALSE, &device->pdo);
  if (!NT_SUCCESS(status)) return nullptr;
  g_adapter.adding = device;
  status = g_adapter.driver->DriverExtension->AddDevice(g_adapter.driver, device->pdo);
  g_adapter.adding = nullptr;
  recordLine(kPortClsRecord, "adddevice device=%lu status=0x%08lx", index, status);
  if (!NT_SUCCESS(status) || device->fdo == nullptr) return nullptr;
  status = sendPnp(device, IRP_MN_START_DEVICE);
  recordLine(kPortClsRecord, "startdevice device=%lu status=0x%08lx subdevices=%lu", index, status,
             device->subdeviceCount);
  return NT_SUCCESS(status) && device->wavePort != nullptr ? device : nullptr;
}

bool removeDevice(Device* device) {
  const NTSTATUS status = sendPnp(device, IRP_MN_REMOVE_DEVICE);
  recordLine(kPortClsRecord, "removedevice device=%lu status=0x%08lx", indexOf(device), status);
  return NT_SUCCESS(status);
}

IMiniportWaveRT* waveMiniportOf(Device* device) {
  return static_cast<IMiniportWaveRT*>(device->wavePort->miniport());
}

NTSTATUS surpriseRemoval(void* context) {
  return sendPnp(static_cast<Device*>(context), IRP_MN_SURPRISE_REMOVAL);
}

void useDevice(Device* device) {
  setEngineDevice(EngineDevice{device->topologyPort != nullptr ? device->topologyPort->miniport()
                                                               : nullptr,
                               surpriseRemoval, device});
}

// Streams of the scenario played on `device` by a thread of their own.
struct StreamThread {
  Device* device;
  ULONG first;
  ULONG count;
  bool ok;
  KEVENT done;
};

void NTAPI streamThread(PVOID context) {
  auto* job = static_cast<StreamThread*>(context);
  job->ok = true;
  for (ULONG i = job->first; i < job->first + job->count && job->ok; ++i) {
    job->ok = runAudioEngine(waveMiniportOf(job->device), g_adapter.scenario.streams[i], i);
  }
  KeSetEvent(&job->done, IO_NO_INCREMENT, FALSE);
  PsTerminateSystemThread(STATUS_SUCCESS);
}

// Two devices of the same driver: device 1 plays stream 1 (long) in a thread of its own while
// device 0 plays stream 0 and is removed; device 1 must go on sending, then is removed too.
bool runTwoDevices() {
  Device* first = addAndStartDevice();
  Device* second = first != nullptr ? addAndStartDevice() : nullptr;
  if (second == nullptr || g_adapter.scenario.streamCount < 2) {
    recordLine(kPortClsRecord, "failure: two devices not started");
    return false;
  }
  StreamThread job = {second, 1, g_adapter.scenario.streamCount - 1, false, {}};
  KeInitializeEvent(&job.done, NotificationEvent, FALSE);
  HANDLE thread;
  if (!NT_SUCCESS(PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                       streamThread, &job))) {
    return false;
  }
  ZwClose(thread);
  sleepMs(300);  // device 1's stream runs before device 0's starts
  bool ok = runAudioEngine(waveMiniportOf(first), g_adapter.scenario.streams[0], 0);
  ok = removeDevice(first) && ok;
  recordLine(kPortClsRecord, "device 0 removed while device 1 plays");
  KeWaitForSingleObject(&job.done, Executive, KernelMode, FALSE, nullptr);
  ok = ok && job.ok;
  return removeDevice(second) && ok;
}

bool runScenario() {
  if (!waitForDriverEntry()) {
    recordLine(kPortClsRecord, "failure: DriverEntry did not chain the PortCls unload routine");
    return false;
  }
  recordLine(kPortClsRecord, "driverentry unload_chained=1");
  if (g_adapter.scenario.devices == 2) return runTwoDevices();
  if (!installIvshmemDevices(g_adapter.scenario)) {
    recordLine(kPortClsRecord, "failure: IVSHMEM devices not installed");
    return false;
  }
  Device* device = addAndStartDevice();
  bool ok = device != nullptr;
  if (ok) {
    IMiniportWaveRT* miniport = waveMiniportOf(device);
    useDevice(device);
    ok = probeFormatNegotiation(miniport);
    for (ULONG i = 0; i < g_adapter.scenario.streamCount && ok; ++i) {
      ok = runAudioEngine(miniport, g_adapter.scenario.streams[i], i);
    }
  }
  if (g_adapter.deviceCount == 0) return false;
  ok = removeDevice(&g_adapter.devices[0]) && ok;
  removeIvshmemDevices();
  return ok;
}

void NTAPI scenarioThread(PVOID) {
  const bool ok = runScenario();
  recordLine(kPortClsRecord, "scenario %s", ok ? "passed" : "failed");
  hostCreateMarker("done");
  PsTerminateSystemThread(STATUS_SUCCESS);
}

void NTAPI portClsUnload(PDRIVER_OBJECT) {
  recordLine(kPortClsRecord, "unload");
}

void handleRemove(Device* device) {
  for (ULONG i = 0; i < device->subdeviceCount; ++i) {
    Subdevice& subdevice = device->subdevices[i];
    const ULONG miniportLeft = subdevice.releaseMiniport(subdevice.port);
    const ULONG portLeft = subdevice.port->Release();
    recordLine(kPortClsRecord,
               "subdevice unregistered device=%lu miniport_refs_left=%lu refs_left=%lu",
               indexOf(device), miniportLeft, portLeft);
  }
  device->subdeviceCount = 0;
  device->wavePort = nullptr;
  device->topologyPort = nullptr;
}

}  // namespace

void sleepMs(ULONG milliseconds) {
  LARGE_INTEGER interval;
  interval.QuadPart = -10000LL * milliseconds;
  KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

extern "C" {

NTSTATUS NTAPI PcInitializeAdapterDriver(PDRIVER_OBJECT driver, PUNICODE_STRING registryPath,
                                         PDRIVER_ADD_DEVICE addDevice) {
  recordLine(kPortClsRecord, "initialize registry_path=%.*ws", registryPath->Length / 2,
             registryPath->Buffer);
  g_adapter.driver = driver;
  g_adapter.portClsUnload = portClsUnload;
  readScenario(&g_adapter.scenario);
  driver->DriverExtension->AddDevice = addDevice;
  driver->DriverUnload = portClsUnload;
  static const UCHAR kMajors[] = {IRP_MJ_PNP,   IRP_MJ_POWER,          IRP_MJ_CREATE,
                                  IRP_MJ_CLOSE, IRP_MJ_DEVICE_CONTROL, IRP_MJ_SYSTEM_CONTROL};
  for (UCHAR major : kMajors) driver->MajorFunction[major] = PcDispatchIrp;
  HANDLE thread;
  NTSTATUS status =
      PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, nullptr, nullptr, nullptr, scenarioThread,
                           nullptr);
  if (NT_SUCCESS(status)) ZwClose(thread);
  return status;
}

// DeviceExtensionSize is the whole extension (Microsoft's documentation): 0 for PortCls's
// default, else at least PORT_CLASS_DEVICE_EXTENSION_SIZE; the adapter may use what lies beyond
// PortCls's part. This double fills PortCls's part with a pattern and checks it on removal, so a
// driver that writes into it, or sizes its part wrongly, is caught.
constexpr UCHAR kPortClsExtensionPattern = 0xA5;

NTSTATUS NTAPI PcAddAdapterDevice(PDRIVER_OBJECT driver, PDEVICE_OBJECT pdo,
                                  PCPFNSTARTDEVICE startDevice, ULONG maxObjects,
                                  ULONG extensionSize) {
  Device* device = g_adapter.adding;
  if (device == nullptr || pdo != device->pdo ||
      (extensionSize != 0 && extensionSize < PORT_CLASS_DEVICE_EXTENSION_SIZE)) {
    recordLine(kPortClsRecord, "failure: PcAddAdapterDevice pdo_known=%d extension=%lu",
               device != nullptr && pdo == device->pdo, extensionSize);
    return STATUS_INVALID_PARAMETER;
  }
  const ULONG size = extensionSize != 0 ? extensionSize : PORT_CLASS_DEVICE_EXTENSION_SIZE;
  NTSTATUS status = IoCreateDevice(driver, size, nullptr, FILE_DEVICE_KS,
                                   FILE_AUTOGENERATED_DEVICE_NAME | FILE_DEVICE_SECURE_OPEN,
                                   FALSE, &device->fdo);
  recordLine(kPortClsRecord, "addadapter device=%lu max_objects=%lu extension=%lu status=0x%08lx",
             indexOf(device), maxObjects, extensionSize, status);
  if (!NT_SUCCESS(status)) return status;
  RtlFillMemory(device->fdo->DeviceExtension, PORT_CLASS_DEVICE_EXTENSION_SIZE,
                kPortClsExtensionPattern);
  g_adapter.startDevice = startDevice;
  device->fdo->Flags &= ~DO_DEVICE_INITIALIZING;
  return STATUS_SUCCESS;
}

bool portClsExtensionIntact(PDEVICE_OBJECT fdo) {
  const auto* bytes = static_cast<const UCHAR*>(fdo->DeviceExtension);
  for (ULONG i = 0; i < PORT_CLASS_DEVICE_EXTENSION_SIZE; ++i) {
    if (bytes[i] != kPortClsExtensionPattern) return false;
  }
  return true;
}

// Every IRP the driver passes on arrives here; START and REMOVE are what PortCls acts on.
NTSTATUS NTAPI PcDispatchIrp(PDEVICE_OBJECT device, PIRP irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
  NTSTATUS status = STATUS_SUCCESS;
  Device* known = deviceOfFdo(device);
  if (known == nullptr) {
    recordLine(kPortClsRecord, "failure: IRP for a device PortCls did not create");
    status = STATUS_INVALID_DEVICE_REQUEST;
  } else if (stack->MajorFunction == IRP_MJ_PNP && stack->MinorFunction == IRP_MN_START_DEVICE) {
    status = g_adapter.startDevice(device, irp, nullptr);
  } else if (stack->MajorFunction == IRP_MJ_PNP &&
             stack->MinorFunction == IRP_MN_SURPRISE_REMOVAL) {
    recordLine(kPortClsRecord, "surprise removal device=%lu", indexOf(known));
  } else if (stack->MajorFunction == IRP_MJ_PNP && stack->MinorFunction == IRP_MN_REMOVE_DEVICE) {
    if (!portClsExtensionIntact(device)) {
      recordLine(kPortClsRecord, "failure: the driver wrote into PortCls's device extension");
    }
    handleRemove(known);
  } else {
    recordLine(kPortClsRecord, "dispatch major=%u minor=%u", stack->MajorFunction,
               stack->MinorFunction);
    status = STATUS_NOT_SUPPORTED;
  }
  irp->IoStatus.Status = status;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
  return status;
}

NTSTATUS NTAPI PcNewPort(PPORT* port, REFCLSID classId) {
  *port = nullptr;
  if (IsEqualGUIDAligned(classId, CLSID_PortWaveRT)) {
    *port = createPort<Port<IPortWaveRT>>(IID_IPortWaveRT, IID_IMiniportWaveRT, "wavert");
  } else if (IsEqualGUIDAligned(classId, CLSID_PortTopology)) {
    *port = createPort<Port<IPortTopology>>(IID_IPortTopology, IID_IMiniportTopology, "topology");
  } else {
    recordLine(kPortClsRecord, "newport unknown class");
    return STATUS_INVALID_PARAMETER;
  }
  return *port != nullptr ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

NTSTATUS NTAPI PcRegisterSubdevice(PDEVICE_OBJECT device, PWCHAR name, PUNKNOWN unknown) {
  PVOID port = nullptr;
  NTSTATUS status = unknown->QueryInterface(IID_IPort, &port);
  Device* owner = deviceOfFdo(device);
  recordLine(kPortClsRecord, "subdevice name=%ws device_matches=%d is_port=%d", name,
             owner != nullptr, NT_SUCCESS(status));
  if (!NT_SUCCESS(status)) return STATUS_INVALID_PARAMETER;
  if (owner == nullptr || owner->subdeviceCount == kMaxSubdevices) {
    static_cast<IPort*>(port)->Release();
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  Subdevice& entry = owner->subdevices[owner->subdeviceCount++];
  size_t n = 0;
  for (; n + 1 < sizeof(entry.name) / sizeof(WCHAR) && name[n] != 0; ++n) entry.name[n] = name[n];
  entry.name[n] = 0;
  entry.port = static_cast<IPort*>(port);  // the QueryInterface reference, held until removal
  entry.releaseMiniport = Port<IPortTopology>::releaseMiniportOf;
  PVOID wave = nullptr;
  PVOID topology = nullptr;
  if (NT_SUCCESS(unknown->QueryInterface(IID_IPortWaveRT, &wave))) {
    owner->wavePort = static_cast<Port<IPortWaveRT>*>(static_cast<IPortWaveRT*>(wave));
    entry.releaseMiniport = Port<IPortWaveRT>::releaseMiniportOf;
    static_cast<IPortWaveRT*>(wave)->Release();
  } else if (NT_SUCCESS(unknown->QueryInterface(IID_IPortTopology, &topology))) {
    owner->topologyPort = static_cast<Port<IPortTopology>*>(static_cast<IPortTopology*>(topology));
    static_cast<IPortTopology*>(topology)->Release();
  }
  return STATUS_SUCCESS;
}

NTSTATUS NTAPI PcRegisterPhysicalConnection(PDEVICE_OBJECT device, PUNKNOWN from, ULONG fromPin,
                                            PUNKNOWN to, ULONG toPin) {
  char fromName[32];
  char toName[32];
  recordLine(kPortClsRecord, "connection from=%s:%lu to=%s:%lu device_matches=%d",
             subdeviceName(from, fromName, sizeof(fromName)), fromPin,
             subdeviceName(to, toName, sizeof(toName)), toPin, deviceOfFdo(device) != nullptr);
  return STATUS_SUCCESS;
}

// Entry point of the DLL image; Wine may call it as DllMain. Nothing to set up.
BOOLEAN NTAPI doubleEntry(PVOID, ULONG, PVOID) { return TRUE; }

}  // extern "C"
