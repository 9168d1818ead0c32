#include "sender_settings.h"

namespace scream::driver {

const char* settingName(Setting setting) {
  switch (setting) {
    case Setting::kUnicastIPv4: return "UnicastIPv4";
    case Setting::kUnicastPort: return "UnicastPort";
    case Setting::kUnicastSrcIPv4: return "UnicastSrcIPv4";
    case Setting::kUnicastSrcPort: return "UnicastSrcPort";
    case Setting::kTtl: return "TTL";
    case Setting::kDscp: return "DSCP";
    case Setting::kSilenceThreshold: return "SilenceThreshold";
    case Setting::kUseIvshmem: return "UseIVSHMEM";
    case Setting::kMulticastInterfaceIPv4: return "MulticastInterfaceIPv4";
    case Setting::kIvshmemChunkMs: return "IVSHMEMChunkMs";
    case Setting::kUnknown: return "unknown";
  }
  return "unknown";
}

const char* describe(SettingProblem problem) {
  switch (problem) {
    case SettingProblem::kUnknownName: return "unknown value name, ignored";
    case SettingProblem::kWrongType: return "wrong registry type, default kept";
    case SettingProblem::kOutOfRange: return "value out of range, default kept";
    case SettingProblem::kMalformedAddress: return "not a dotted-quad IPv4 address, default kept";
    case SettingProblem::kUnusableAddress: return "address not usable here, default kept";
  }
  return "unknown problem";
}

}  // namespace scream::driver
