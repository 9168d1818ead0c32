#include "device_buffer_policy.h"

#include <algorithm>

namespace scream::receiver {

DeviceBufferPolicy::DeviceBufferPolicy(const Config& config, int64_t nowNs)
    : config_(config),
      periods_(std::clamp(config.initialPeriods, 1, std::max(config.maxPeriods, 1))),
      lastRaiseNs_(nowNs),
      lastChangeNs_(nowNs) {
  config_.initialPeriods = periods_;
}

bool DeviceBufferPolicy::onTrouble(int64_t nowNs, bool ranEmpty) {
  lastChangeNs_ = nowNs;
  const bool cooled = !raisedOnce_ || nowNs - lastRaiseNs_ > config_.nearMissCooldownNs;
  if (atMost() || (!ranEmpty && !cooled)) return false;
  ++periods_;
  lastRaiseNs_ = nowNs;
  raisedOnce_ = true;
  return true;
}

bool DeviceBufferPolicy::onQuietCheck(int64_t nowNs) {
  if (periods_ <= config_.initialPeriods || nowNs - lastChangeNs_ < config_.quietBeforeLoweringNs) {
    return false;
  }
  --periods_;
  lastChangeNs_ = nowNs;
  return true;
}

}  // namespace scream::receiver
