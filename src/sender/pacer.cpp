#include "sender/pacer.h"

#include <time.h>

#include <cmath>

namespace scream::sender {

Pacer::Pacer(uint32_t sampleRate, double clockPpm, uint32_t burstMs)
    : burstNs_(uint64_t{burstMs} * 1'000'000) {
  const double frequency = 1e15 / (1e6 + clockPpm);
  clock_.configure(static_cast<uint64_t>(std::llround(frequency)), sampleRate);
}

uint64_t Pacer::nowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

void Pacer::start() {
  startNs_ = nowNs();
  nextBurst_ = 1;
  clock_.reset();
  clock_.run(startNs_);
}

void Pacer::sleepUntilNextBurst() {
  const uint64_t now = nowNs();
  const uint64_t elapsedBursts = (now - startNs_) / burstNs_;
  if (nextBurst_ <= elapsedBursts) nextBurst_ = elapsedBursts + 1;
  const uint64_t deadline = startNs_ + nextBurst_ * burstNs_;
  ++nextBurst_;
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(deadline / 1'000'000'000u);
  ts.tv_nsec = static_cast<long>(deadline % 1'000'000'000u);
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);  // EINTR: caller checks why
}

}  // namespace scream::sender
