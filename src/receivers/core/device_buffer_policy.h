// How big a sound server's buffer for our stream should be, in periods: the decisions in one
// place, the sink only applies them (PulseAudio: tlength via pa_stream_set_buffer_attr).
//
// Up at once when the buffer ran empty or came near it (a request that found less than two
// periods queued: the next one would have been an underflow), but one late wake-up makes
// several requests in a row find the queue low, so near misses raise at most once per cooldown.
// Down a period at a time after a quiet minute (no underflow, no near miss, no change), never
// below where it started: without that every stall of a long session added latency for good
// (10-minute soaks at 2026-11-30: +3 ms/min, the server buffer only ever growing).
#pragma once

#include <cstdint>

namespace scream::receiver {

class DeviceBufferPolicy {
 public:
  struct Config {
    int initialPeriods = 6;
    int maxPeriods = 16;
    int64_t nearMissCooldownNs = 500'000'000;
    int64_t quietBeforeLoweringNs = 60'000'000'000;
  };

  explicit DeviceBufferPolicy(const Config& config, int64_t nowNs = 0);

  int periods() const { return periods_; }
  bool atMost() const { return periods_ >= config_.maxPeriods; }

  // The buffer ran empty (ranEmpty) or came near it at nowNs. Returns whether to grow (periods()
  // is already the new size).
  bool onTrouble(int64_t nowNs, bool ranEmpty);
  // Called now and then (every few seconds). Returns whether to shrink.
  bool onQuietCheck(int64_t nowNs);
  // A new connection: the quiet minute starts now (time without a stream was not quiet).
  void restartQuiet(int64_t nowNs) { lastChangeNs_ = nowNs; }

 private:
  Config config_;
  int periods_;
  int64_t lastRaiseNs_;
  int64_t lastChangeNs_;  // the last trouble or lowering
  bool raisedOnce_ = false;
};

}  // namespace scream::receiver
