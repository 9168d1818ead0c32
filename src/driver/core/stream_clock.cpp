#include "stream_clock.h"

namespace scream::driver {

void StreamClock::configure(uint64_t counterFrequency, uint32_t sampleRate) {
  frequency_ = counterFrequency == 0 ? 1 : counterFrequency;
  sampleRate_ = sampleRate;
  reset();
}

void StreamClock::reset() {
  counterAtStart_ = 0;
  framesAtStart_ = 0;
  running_ = false;
}

void StreamClock::run(uint64_t counter) {
  if (running_) return;  // a second RUN must not restart the count and lose the elapsed part
  counterAtStart_ = counter;
  running_ = true;
}

void StreamClock::pause(uint64_t counter) {
  if (!running_) return;
  framesAtStart_ = framesAt(counter);
  running_ = false;
}

uint64_t StreamClock::framesAt(uint64_t counter) const {
  if (!running_ || counter <= counterAtStart_) return framesAtStart_;
  return framesAtStart_ + framesIn(counter - counterAtStart_, frequency_, sampleRate_);
}

}  // namespace scream::driver
