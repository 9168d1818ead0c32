// WaveRT notification events (IMiniportWaveRTStreamNotification): the buffer is divided into
// NotificationCount equal parts and an event is due each time the play position crosses a part
// boundary. Positions are absolute bytes played since the stream started, so a boundary is
// crossed when floor(position / interval) grows; a late timer sees several at once.
//
// Freestanding (compiled into the Windows kernel driver).
#pragma once

#include <stdint.h>

namespace scream::driver {

class NotificationSchedule {
 public:
  // interval = bufferBytes / notificationCount. A count of 0 (no notifications requested) or a
  // buffer smaller than the count turns the schedule off: advance() then always returns 0.
  void configure(uint32_t bufferBytes, uint32_t notificationCount, uint64_t startBytes = 0) {
    interval_ = notificationCount == 0 ? 0 : bufferBytes / notificationCount;
    lastBytes_ = startBytes;
  }

  // Boundaries crossed in (last position, playedBytes]; a position that went back counts none.
  uint64_t advance(uint64_t playedBytes) {
    if (interval_ == 0 || playedBytes <= lastBytes_) return 0;
    const uint64_t crossed = playedBytes / interval_ - lastBytes_ / interval_;
    lastBytes_ = playedBytes;
    return crossed;
  }

  uint32_t intervalBytes() const { return interval_; }

 private:
  uint32_t interval_ = 0;
  uint64_t lastBytes_ = 0;
};

}  // namespace scream::driver
