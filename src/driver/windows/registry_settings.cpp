// Registry -> SenderSettings glue: enumerate every value under Options and feed it to
// SenderSettings::applyDword/applyString, which own the names, ranges and fallbacks.
#include "registry_settings.h"

namespace {

constexpr WCHAR kOptionsSuffix[] = L"\\Options";
constexpr ULONG kValueBufferBytes = 512;  // name + data of one value; larger values are skipped

void reportRejection(const scream::driver::SettingRejection& rejection, const WCHAR* name,
                     ULONG nameChars) {
  SCREAM_LOG_ERROR("registry value %.*ws (%s) ignored, default used: %s (value %lu)\n",
                   static_cast<int>(nameChars), name,
                   scream::driver::settingName(rejection.setting),
                   scream::driver::describe(rejection.problem),
                   static_cast<unsigned long>(rejection.value));
}

void applyValue(const KEY_VALUE_FULL_INFORMATION* value,
                scream::driver::SenderSettings* settings) {
  const WCHAR* name = value->Name;
  const ULONG nameChars = value->NameLength / sizeof(WCHAR);
  const auto* data = reinterpret_cast<const UCHAR*>(value) + value->DataOffset;
  auto report = [&](const scream::driver::SettingRejection& rejection) {
    reportRejection(rejection, name, nameChars);
  };
  if (value->Type == REG_DWORD && value->DataLength == sizeof(ULONG)) {
    ULONG dword;
    RtlCopyMemory(&dword, data, sizeof(dword));
    settings->applyDword(name, nameChars, dword, report);
  } else if (value->Type == REG_SZ || value->Type == REG_EXPAND_SZ) {
    WCHAR text[64];  // an IPv4 address needs 15 characters; longer text is malformed anyway
    const ULONG chars = value->DataLength / sizeof(WCHAR);
    const ULONG copied = chars < 64 ? chars : 64;
    RtlCopyMemory(text, data, copied * sizeof(WCHAR));
    if (chars > 64) text[63] = L'?';  // keep it malformed
    settings->applyString(name, nameChars, static_cast<const WCHAR*>(text), copied, report);
  } else {
    // Neither a DWORD nor a string: SenderSettings decides whether the name is known and
    // reports it as the wrong type (a string is never a valid DWORD and vice versa).
    const WCHAR nothing[1] = {0};
    settings->applyString(name, nameChars, static_cast<const WCHAR*>(nothing), 0, report);
  }
}

}  // namespace

void loadSenderSettings(PCUNICODE_STRING servicePath, scream::driver::SenderSettings* settings) {
  UNICODE_STRING path;
  const USHORT bytes = static_cast<USHORT>(servicePath->Length + sizeof(kOptionsSuffix));
  path.Buffer = static_cast<PWCH>(ExAllocatePoolWithTag(NonPagedPoolNx, bytes, kScreamPoolTag));
  void* valueBuffer = ExAllocatePoolWithTag(NonPagedPoolNx, kValueBufferBytes, kScreamPoolTag);
  if (path.Buffer == nullptr || valueBuffer == nullptr) {
    SCREAM_LOG_ERROR("no memory to read the registry options; defaults used\n");
    if (path.Buffer != nullptr) ExFreePoolWithTag(path.Buffer, kScreamPoolTag);
    if (valueBuffer != nullptr) ExFreePoolWithTag(valueBuffer, kScreamPoolTag);
    return;
  }
  path.Length = 0;
  path.MaximumLength = bytes;
  RtlCopyUnicodeString(&path, servicePath);
  RtlAppendUnicodeToString(&path, kOptionsSuffix);

  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &path, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, nullptr,
                             nullptr);
  HANDLE key = nullptr;
  if (NT_SUCCESS(ZwOpenKey(&key, KEY_READ, &attributes))) {
    for (ULONG index = 0;; ++index) {
      ULONG length = 0;
      const NTSTATUS status = ZwEnumerateValueKey(key, index, KeyValueFullInformation,
                                                  valueBuffer, kValueBufferBytes, &length);
      if (status == STATUS_NO_MORE_ENTRIES) break;
      if (!NT_SUCCESS(status)) {
        SCREAM_LOG_ERROR("registry option #%lu unreadable (0x%08lx), skipped\n", index, status);
        continue;
      }
      applyValue(static_cast<const KEY_VALUE_FULL_INFORMATION*>(valueBuffer), settings);
    }
    ZwClose(key);
  }
  ExFreePoolWithTag(valueBuffer, kScreamPoolTag);
  ExFreePoolWithTag(path.Buffer, kScreamPoolTag);
}
