// Stream position as a pure function of the performance counter since RUN (DESIGN.md, "Sender
// engine"): frames = framesAtStart + floor(d * rate / f), d = counter - counterAtStart, computed
// as (d / f) * rate + ((d % f) * rate) / f. Nothing is accumulated per tick, so there is no
// rounding to pile up: the position after any run length is exact.
//
// Overflow: the largest intermediate is (d % f) * rate < f * rate. With f = 10 MHz (Windows 10+)
// and rate <= 127 * 48000 that is < 6.1e13, far below 2^64; even a 3 GHz TSC counter stays below
// 1.9e16. (d / f) * rate overflows only after ~3e12 seconds.
//
// Freestanding (compiled into the Windows kernel driver): <stdint.h> only.
#pragma once

#include <stdint.h>

namespace scream::driver {

class StreamClock {
 public:
  // floor(ticks * rate / frequency) without a 128-bit intermediate. frequency must not be 0.
  static constexpr uint64_t framesIn(uint64_t ticks, uint64_t frequency, uint32_t rate) {
    return (ticks / frequency) * rate + ((ticks % frequency) * rate) / frequency;
  }

  // Sets the counter frequency (ticks per second) and the sample rate; position 0, stopped.
  // A frequency of 0 is taken as 1 so that no later call can divide by zero.
  void configure(uint64_t counterFrequency, uint32_t sampleRate);

  // KSSTATE_STOP: position back to 0, not running.
  void reset();
  // KSSTATE_RUN: counting starts (or resumes) at `counter` from the position held.
  void run(uint64_t counter);
  // Leaving RUN: the position reached at `counter` is held until the next run().
  void pause(uint64_t counter);

  // Frames played at `counter`. A counter earlier than the RUN counter reads as the RUN position
  // (counters of different processors may differ by a tick; the position never goes back).
  uint64_t framesAt(uint64_t counter) const;

  bool running() const { return running_; }
  uint32_t sampleRate() const { return sampleRate_; }
  uint64_t counterFrequency() const { return frequency_; }

 private:
  uint64_t frequency_ = 1;
  uint64_t counterAtStart_ = 0;
  uint64_t framesAtStart_ = 0;
  uint32_t sampleRate_ = 0;
  bool running_ = false;
};

}  // namespace scream::driver
