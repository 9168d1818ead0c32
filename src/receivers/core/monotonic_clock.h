// CLOCK_MONOTONIC in nanoseconds: the receiver's one time base (arrival stamps, device timing,
// stats, reconnection back-off). Real-time safe: a vDSO read, no lock, no allocation.
#pragma once

#include <time.h>

#include <cstdint>

namespace scream::receiver {

inline int64_t monotonicNs() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace scream::receiver
