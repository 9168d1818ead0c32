// The sender's clock: CLOCK_MONOTONIC through the driver's StreamClock (frames = exact integer
// function of the time since start, no accumulation), and wake-ups at absolute burst deadlines,
// so a late wake-up shortens the next sleep instead of shifting every later one.
//
// --clock-ppm runs the audio clock fast (+) or slow (-) against CLOCK_MONOTONIC: the stream
// clock is given a counter frequency of 1e9 / (1 + ppm * 1e-6) ticks per second.
#pragma once

#include <cstdint>

#include "driver/core/stream_clock.h"

namespace scream::sender {

class Pacer {
 public:
  Pacer(uint32_t sampleRate, double clockPpm, uint32_t burstMs);

  // Starts the clock at the current time: frame 0 is now.
  void start();
  // Sleeps until the next burst deadline. Deadlines already past are skipped (after a stall the
  // loop sends what is due at once instead of spinning through missed bursts). Returns early
  // when a signal arrives.
  void sleepUntilNextBurst();
  // Frames the clock has played by now.
  uint64_t framesDue() const { return clock_.framesAt(nowNs()); }

  static uint64_t nowNs();
  uint64_t counterFrequency() const { return clock_.counterFrequency(); }

 private:
  driver::StreamClock clock_;
  uint64_t startNs_ = 0;
  uint64_t burstNs_;
  uint64_t nextBurst_ = 1;
};

}  // namespace scream::sender
