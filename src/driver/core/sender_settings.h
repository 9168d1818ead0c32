// The driver's registry options (HKLM\SYSTEM\CurrentControlSet\Services\Scream\Options, see
// COMPAT.md) as a plain model: defaults, and apply functions that validate each value and fall
// back to the default when it is invalid, reporting every rejection through a callback (the driver
// logs it; a bad registry value must never stop the driver, let alone bug-check).
//
// Names are counted strings of any character type: the driver passes the UTF-16 of a
// UNICODE_STRING (length in characters, no terminator needed), tests pass char. They are
// compared case-insensitively in ASCII, as the registry compares value names; a non-ASCII
// character never matches.
//
// Freestanding (compiled into the Windows kernel driver).
#pragma once

#include "driver/core/ipv4_address.h"

namespace scream::driver {

enum class Setting : uint8_t {
  kUnicastIPv4 = 0,         // REG_SZ: destination (unicast or multicast)
  kUnicastPort,             // DWORD: destination port
  kUnicastSrcIPv4,          // REG_SZ: local bind address
  kUnicastSrcPort,          // DWORD: local bind port
  kTtl,                     // DWORD: multicast TTL, 0 = OS default
  kDscp,                    // DWORD: DSCP (upstream reads it and never applies it; we do)
  kSilenceThreshold,        // DWORD: frames of silence before the stream stops, 0 = off
  kUseIvshmem,              // DWORD: IVSHMEM size in MiB, 0 = network
  kMulticastInterfaceIPv4,  // REG_SZ: local address for IP_MULTICAST_IF (new), 0.0.0.0 = OS
  kIvshmemChunkMs,          // DWORD: IVSHMEM chunk length in ms (new; upstream writes 20)
  kUnknown,                 // a value name this driver does not know
};
inline constexpr size_t kSettingCount = 10;  // known settings, kUnknown excluded

enum class SettingProblem : uint8_t {
  kUnknownName = 0,   // ignored
  kWrongType,         // e.g. UnicastPort as REG_SZ
  kOutOfRange,        // a DWORD outside the documented range
  kMalformedAddress,  // not a dotted-quad IPv4 address
  kUnusableAddress,   // well-formed but meaningless here (0.0.0.0 destination, multicast bind)
};

struct SettingRejection {
  Setting setting;
  SettingProblem problem;
  uint32_t value;  // the DWORD rejected; 0 for strings
};

// The registry value name ("UnicastIPv4", ...); "unknown" for kUnknown.
const char* settingName(Setting setting);
const char* describe(SettingProblem problem);

// Inclusive DWORD ranges.
inline constexpr uint32_t kMaxTtl = 255;
inline constexpr uint32_t kMaxDscp = 63;
inline constexpr uint32_t kMaxIvshmemMiB = 4096;  // sanity bound: larger is a typo
inline constexpr uint32_t kMaxIvshmemChunkMs = 20;  // upstream's length; longer only adds latency

template <class Char>
Setting findSetting(const Char* name, size_t length) {
  for (size_t s = 0; s < kSettingCount; ++s) {
    const char* known = settingName(static_cast<Setting>(s));
    size_t i = 0;
    for (; i < length && known[i] != '\0'; ++i) {
      uint32_t c = static_cast<uint32_t>(name[i]);
      uint32_t k = static_cast<uint32_t>(static_cast<unsigned char>(known[i]));
      if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
      if (k >= 'A' && k <= 'Z') k += 'a' - 'A';
      if (c != k) break;
    }
    if (i == length && known[i] == '\0') return static_cast<Setting>(s);
  }
  return Setting::kUnknown;
}

struct SenderSettings {
  Ipv4Address destination = {{239, 255, 77, 77}};
  uint16_t destinationPort = 4010;
  Ipv4Address source = {{0, 0, 0, 0}};
  uint16_t sourcePort = 0;
  uint8_t ttl = 0;
  uint8_t dscp = 0;
  uint32_t silenceThresholdFrames = 0;
  uint32_t ivshmemMiB = 0;
  // 5 ms: a quarter of upstream's latency floor. Upstream's receiver skips ahead when more than
  // 3 chunks are unread, so with 5 ms it drops audio whenever the writer is late by more than
  // about 20 ms at once; 20 restores upstream's tolerance (README, IVSHMEM).
  uint32_t ivshmemChunkMs = 5;
  Ipv4Address multicastInterface = {{0, 0, 0, 0}};

  // A DWORD value. Returns true when it was taken; otherwise the setting goes back to its
  // default and `report(const SettingRejection&)` is called once.
  template <class Char, class Report>
  bool applyDword(const Char* name, size_t nameLength, uint32_t value, Report&& report) {
    const Setting setting = findSetting(name, nameLength);
    auto reject = [&](SettingProblem problem) {
      restoreDefault(setting);
      report(SettingRejection{setting, problem, value});
      return false;
    };
    switch (setting) {
      case Setting::kUnicastPort:
        if (value == 0 || value > 65535) return reject(SettingProblem::kOutOfRange);
        destinationPort = static_cast<uint16_t>(value);
        return true;
      case Setting::kUnicastSrcPort:
        if (value > 65535) return reject(SettingProblem::kOutOfRange);
        sourcePort = static_cast<uint16_t>(value);
        return true;
      case Setting::kTtl:
        if (value > kMaxTtl) return reject(SettingProblem::kOutOfRange);
        ttl = static_cast<uint8_t>(value);
        return true;
      case Setting::kDscp:
        if (value > kMaxDscp) return reject(SettingProblem::kOutOfRange);
        dscp = static_cast<uint8_t>(value);
        return true;
      case Setting::kSilenceThreshold: silenceThresholdFrames = value; return true;
      case Setting::kUseIvshmem:
        if (value > kMaxIvshmemMiB) return reject(SettingProblem::kOutOfRange);
        ivshmemMiB = value;
        return true;
      case Setting::kIvshmemChunkMs:
        if (value == 0 || value > kMaxIvshmemChunkMs) return reject(SettingProblem::kOutOfRange);
        ivshmemChunkMs = value;
        return true;
      case Setting::kUnknown: return reject(SettingProblem::kUnknownName);
      case Setting::kUnicastIPv4:
      case Setting::kUnicastSrcIPv4:
      case Setting::kMulticastInterfaceIPv4: return reject(SettingProblem::kWrongType);
    }
    return reject(SettingProblem::kUnknownName);
  }

  // A REG_SZ value (counted; trailing NULs are ignored). Same contract as applyDword().
  template <class Char, class Report>
  bool applyString(const Char* name, size_t nameLength, const Char* value, size_t valueLength,
                   Report&& report) {
    const Setting setting = findSetting(name, nameLength);
    auto reject = [&](SettingProblem problem) {
      restoreDefault(setting);
      report(SettingRejection{setting, problem, 0});
      return false;
    };
    Ipv4Address* target = nullptr;
    switch (setting) {
      case Setting::kUnicastIPv4: target = &destination; break;
      case Setting::kUnicastSrcIPv4: target = &source; break;
      case Setting::kMulticastInterfaceIPv4: target = &multicastInterface; break;
      case Setting::kUnknown: return reject(SettingProblem::kUnknownName);
      default: return reject(SettingProblem::kWrongType);
    }
    Ipv4Address parsed;
    if (!parseIpv4(value, valueLength, &parsed)) return reject(SettingProblem::kMalformedAddress);
    // Audio cannot go to "any"; a socket cannot be bound to, or send from, a group address.
    const bool unusable = setting == Setting::kUnicastIPv4 ? parsed.isAny() : parsed.isMulticast();
    if (unusable) return reject(SettingProblem::kUnusableAddress);
    *target = parsed;
    return true;
  }

  bool isMulticast() const { return destination.isMulticast(); }

  // Puts one setting back to its default (kUnknown: nothing).
  void restoreDefault(Setting setting) {
    const SenderSettings defaults;
    switch (setting) {
      case Setting::kUnicastIPv4: destination = defaults.destination; break;
      case Setting::kUnicastPort: destinationPort = defaults.destinationPort; break;
      case Setting::kUnicastSrcIPv4: source = defaults.source; break;
      case Setting::kUnicastSrcPort: sourcePort = defaults.sourcePort; break;
      case Setting::kTtl: ttl = defaults.ttl; break;
      case Setting::kDscp: dscp = defaults.dscp; break;
      case Setting::kSilenceThreshold:
        silenceThresholdFrames = defaults.silenceThresholdFrames;
        break;
      case Setting::kUseIvshmem: ivshmemMiB = defaults.ivshmemMiB; break;
      case Setting::kIvshmemChunkMs: ivshmemChunkMs = defaults.ivshmemChunkMs; break;
      case Setting::kMulticastInterfaceIPv4:
        multicastInterface = defaults.multicastInterface;
        break;
      case Setting::kUnknown: break;
    }
  }
};

}  // namespace scream::driver
