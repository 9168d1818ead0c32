// scream-install.exe: creates or removes the root-enumerated "Scream (Network)" device.
//   scream-install install [path\to\scream.inf]   (default: scream.inf next to this program)
//   scream-install uninstall
// pnputil alone cannot create a root device, hence this small SetupAPI program. Run elevated.
#include <windows.h>
#include <setupapi.h>
#include <newdev.h>

#include <cwchar>

namespace {

// Must equal the hardware id in scream.inf. Multi-sz: the extra NUL ends the list.
const wchar_t kHardwareIds[] = L"ROOT\\ScreamNetwork\0";

int fail(const wchar_t* what) {
  std::fwprintf(stderr, L"scream-install: %ls failed (error %lu)\n", what, GetLastError());
  return 1;
}

bool hasOurHardwareId(HDEVINFO devices, SP_DEVINFO_DATA* device) {
  wchar_t ids[1024] = {};
  if (!SetupDiGetDeviceRegistryPropertyW(devices, device, SPDRP_HARDWAREID, nullptr,
                                         reinterpret_cast<BYTE*>(ids), sizeof(ids) - 4, nullptr)) {
    return false;
  }
  for (const wchar_t* id = ids; *id != L'\0'; id += std::wcslen(id) + 1) {
    if (_wcsicmp(id, kHardwareIds) == 0) return true;
  }
  return false;
}

// How many root devices with our hardware id exist already (present or not).
int countOurDevices() {
  HDEVINFO devices = SetupDiGetClassDevsW(nullptr, L"ROOT", nullptr, DIGCF_ALLCLASSES);
  if (devices == INVALID_HANDLE_VALUE) return -1;
  int count = 0;
  SP_DEVINFO_DATA device = {};
  device.cbSize = sizeof(device);
  for (DWORD index = 0; SetupDiEnumDeviceInfo(devices, index, &device); ++index) {
    if (hasOurHardwareId(devices, &device)) ++count;
  }
  SetupDiDestroyDeviceInfoList(devices);
  return count;
}

// Installing again must not add a second device (each device is its own endpoint and sender,
// so a second one would send the same audio twice): an existing device only gets the driver
// from this .inf.
int updateExisting(const wchar_t* infPath, int count) {
  BOOL reboot = FALSE;
  if (!UpdateDriverForPlugAndPlayDevicesW(nullptr, kHardwareIds, infPath, INSTALLFLAG_FORCE,
                                          &reboot)) {
    return fail(L"UpdateDriverForPlugAndPlayDevices");
  }
  std::wprintf(L"Scream (Network) already present (%d device%ls); driver updated, no device "
               L"added%ls\n", count, count == 1 ? L"" : L"s", reboot ? L"; reboot to finish" : L"");
  if (count > 1) {
    std::wprintf(L"More than one device: run 'scream-install uninstall' and install again for one.\n");
  }
  return 0;
}

int install(const wchar_t* infArgument) {
  wchar_t infPath[MAX_PATH];
  if (infArgument != nullptr) {
    if (GetFullPathNameW(infArgument, MAX_PATH, infPath, nullptr) == 0) return fail(L"GetFullPathName");
  } else {
    DWORD length = GetModuleFileNameW(nullptr, infPath, MAX_PATH);
    if (length == 0 || length >= MAX_PATH) return fail(L"GetModuleFileName");
    wchar_t* slash = std::wcsrchr(infPath, L'\\');
    if (slash == nullptr || (slash - infPath) + 12 >= MAX_PATH) return fail(L"locating scream.inf");
    std::wcscpy(slash + 1, L"scream.inf");
  }

  const int existing = countOurDevices();
  if (existing < 0) return fail(L"SetupDiGetClassDevs");
  if (existing > 0) return updateExisting(infPath, existing);

  GUID classGuid;
  wchar_t className[64];  // MAX_CLASS_NAME_LEN (32) with room to spare
  if (!SetupDiGetINFClassW(infPath, &classGuid, className, 64, nullptr)) {
    return fail(L"SetupDiGetINFClass (is the .inf path right?)");
  }
  HDEVINFO devices = SetupDiCreateDeviceInfoList(&classGuid, nullptr);
  if (devices == INVALID_HANDLE_VALUE) return fail(L"SetupDiCreateDeviceInfoList");
  SP_DEVINFO_DATA device = {};
  device.cbSize = sizeof(device);
  int result = 0;
  if (!SetupDiCreateDeviceInfoW(devices, className, &classGuid, nullptr, nullptr,
                                DICD_GENERATE_ID, &device)) {
    result = fail(L"SetupDiCreateDeviceInfo");
  } else if (!SetupDiSetDeviceRegistryPropertyW(devices, &device, SPDRP_HARDWAREID,
                                                reinterpret_cast<const BYTE*>(kHardwareIds),
                                                sizeof(kHardwareIds))) {
    result = fail(L"SetupDiSetDeviceRegistryProperty");
  } else if (!SetupDiCallClassInstaller(DIF_REGISTERDEVICE, devices, &device)) {
    result = fail(L"DIF_REGISTERDEVICE");
  } else {
    BOOL reboot = FALSE;
    // The device node exists now; bind the driver from the .inf to it.
    if (!UpdateDriverForPlugAndPlayDevicesW(nullptr, kHardwareIds, infPath, INSTALLFLAG_FORCE,
                                            &reboot)) {
      result = fail(L"UpdateDriverForPlugAndPlayDevices");
      SetupDiCallClassInstaller(DIF_REMOVE, devices, &device);  // no half-installed device
    } else {
      std::wprintf(L"Scream (Network) installed%ls\n", reboot ? L"; reboot to finish" : L"");
    }
  }
  SetupDiDestroyDeviceInfoList(devices);
  return result;
}

int uninstall() {
  HDEVINFO devices = SetupDiGetClassDevsW(nullptr, L"ROOT", nullptr, DIGCF_ALLCLASSES);
  if (devices == INVALID_HANDLE_VALUE) return fail(L"SetupDiGetClassDevs");
  int removed = 0;
  int result = 0;
  SP_DEVINFO_DATA device = {};
  device.cbSize = sizeof(device);
  for (DWORD index = 0; SetupDiEnumDeviceInfo(devices, index, &device); ++index) {
    if (!hasOurHardwareId(devices, &device)) continue;
    if (SetupDiCallClassInstaller(DIF_REMOVE, devices, &device)) {
      ++removed;
    } else {
      result = fail(L"DIF_REMOVE");
    }
  }
  SetupDiDestroyDeviceInfoList(devices);
  std::wprintf(L"%d Scream (Network) device(s) removed\n", removed);
  return result;
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  if (argc >= 2 && _wcsicmp(argv[1], L"install") == 0 && argc <= 3) {
    return install(argc == 3 ? argv[2] : nullptr);
  }
  if (argc == 2 && _wcsicmp(argv[1], L"uninstall") == 0) return uninstall();
  std::fwprintf(stderr, L"usage: scream-install install [scream.inf] | uninstall\n");
  return 2;
}
