// Runs inside Wine for one test: starts the Scream service (winedevice.exe loads scream.sys,
// which loads the portcls.sys and netio.sys doubles), waits for the portcls double to finish its
// scenario (C:\scream-wine\done), stops the service (DriverUnload runs) and waits until it has
// stopped. Being an ordinary Wine process, it also keeps Wine's system processes alive meanwhile.
// Before starting it writes the driver's registry options (arguments NAME=d:DWORD or NAME=s:TEXT)
// under HKLM\SYSTEM\CurrentControlSet\Services\Scream\Options, replacing what was there.
// Usage: scream_wine_run.exe TIMEOUT_SECONDS [NAME=d:VALUE | NAME=s:TEXT]...
// Exit code 0 only when all of that happened in time.
#include <windows.h>

#include <stdio.h>

namespace {

bool waitForFile(const wchar_t* path, DWORD timeoutMs) {
  for (DWORD waited = 0; waited < timeoutMs; waited += 50) {
    if (GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES) return true;
    Sleep(50);
  }
  return false;
}

bool waitForState(SC_HANDLE service, DWORD state, DWORD timeoutMs) {
  SERVICE_STATUS status;
  for (DWORD waited = 0; waited < timeoutMs; waited += 50) {
    if (QueryServiceStatus(service, &status) && status.dwCurrentState == state) return true;
    Sleep(50);
  }
  return false;
}

const wchar_t kOptionsKey[] = L"SYSTEM\\CurrentControlSet\\Services\\Scream\\Options";

bool writeOptions(int count, wchar_t** options) {
  RegDeleteTreeW(HKEY_LOCAL_MACHINE, kOptionsKey);
  HKEY key;
  if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, kOptionsKey, 0, nullptr, 0, KEY_ALL_ACCESS, nullptr, &key,
                      nullptr) != ERROR_SUCCESS) {
    return false;
  }
  bool ok = true;
  for (int i = 0; i < count && ok; ++i) {
    wchar_t* option = options[i];
    wchar_t* equals = wcschr(option, L'=');
    if (equals == nullptr || equals[1] == 0 || equals[2] != L':') {
      ok = false;
      break;
    }
    *equals = 0;
    const wchar_t type = equals[1];
    const wchar_t* text = equals + 3;
    if (type == L'd') {
      const DWORD value = wcstoul(text, nullptr, 0);
      ok = RegSetValueExW(key, option, 0, REG_DWORD, reinterpret_cast<const BYTE*>(&value),
                          sizeof(value)) == ERROR_SUCCESS;
    } else if (type == L's') {
      ok = RegSetValueExW(key, option, 0, REG_SZ, reinterpret_cast<const BYTE*>(text),
                          static_cast<DWORD>((wcslen(text) + 1) * sizeof(wchar_t))) == ERROR_SUCCESS;
    } else {
      ok = false;
    }
  }
  RegCloseKey(key);
  return ok;
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  if (argc < 2) {
    printf("usage: scream_wine_run.exe TIMEOUT_SECONDS [NAME=d:VALUE | NAME=s:TEXT]...\n");
    return 1;
  }
  const DWORD timeoutMs = argc > 1 ? static_cast<DWORD>(_wtoi(argv[1])) * 1000 : 60000;
  if (!writeOptions(argc - 2, argv + 2)) {
    printf("scream_wine_run: could not write the registry options\n");
    return 1;
  }
  SC_HANDLE manager = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_ALL_ACCESS);
  SC_HANDLE service = manager ? OpenServiceW(manager, L"Scream", SERVICE_ALL_ACCESS) : nullptr;
  if (service == nullptr) {
    printf("scream_wine_run: service Scream not found (error %lu)\n", GetLastError());
    return 2;
  }
  if (!StartServiceW(service, 0, nullptr)) {
    printf("scream_wine_run: StartService failed (error %lu)\n", GetLastError());
    return 3;
  }
  int result = 0;
  if (!waitForFile(L"C:\\scream-wine\\done", timeoutMs)) {
    printf("scream_wine_run: the portcls double did not finish within %lu ms\n", timeoutMs);
    result = 4;
  }
  SERVICE_STATUS status;
  if (!ControlService(service, SERVICE_CONTROL_STOP, &status) ||
      !waitForState(service, SERVICE_STOPPED, 10000)) {
    printf("scream_wine_run: the service did not stop (error %lu)\n", GetLastError());
    result = result != 0 ? result : 5;
  }
  CloseServiceHandle(service);
  CloseServiceHandle(manager);
  fflush(stdout);
  return result;
}
