#include "arrival_latency_meter.h"

#include <algorithm>
#include <cmath>

namespace scream::receiver {

double ArrivalLatencyMeter::latencySeconds() const { return smoothed_ < 0 ? std::nan("") : smoothed_; }

double ArrivalLatencyMeter::measure(int64_t arrivalNs, double firstIndex, size_t frames, double originNs,
                                    double rate, double lateSeconds) noexcept {
  if (std::isnan(originNs) || rate <= 0 || frames == 0) {
    smoothed_ = -1;
    return std::nan("");
  }
  const double middle = firstIndex + 0.5 * static_cast<double>(frames);
  const double onTimeNs = static_cast<double>(arrivalNs) - lateSeconds * 1e9;
  const double latency = (originNs + middle / rate * 1e9 - onTimeNs) * 1e-9;
  // About smoothingSeconds of packets: averages what lateness leaves (the floor's own wander).
  const double packetsPerSmoothing = smoothingSeconds_ * rate / static_cast<double>(frames);
  const double alpha = 1.0 / std::max(1.0, packetsPerSmoothing);
  smoothed_ = smoothed_ < 0 ? latency : smoothed_ + alpha * (latency - smoothed_);
  return smoothed_;
}

double ArrivalLatencyMeter::shift(double shiftFrames, int packets, double framesPerPacket, double rate) noexcept {
  if (smoothed_ < 0 || rate <= 0 || packets <= 0) return latencySeconds();
  const double alpha = 1.0 / std::max(1.0, smoothingSeconds_ * rate / framesPerPacket);
  const double weight = 1.0 - std::pow(1.0 - alpha, packets);
  smoothed_ += weight * shiftFrames / rate;
  return smoothed_;
}

namespace {
constexpr double kMaxFallPerEpochSec = 0.0005;
}  // namespace

double BurstMeter::onArrival(int64_t arrivalNs, double currentSeconds) noexcept {
  if (lastArrivalNs_ != 0) {
    const double gap = static_cast<double>(arrivalNs - lastArrivalNs_) * 1e-9;
    if (gap < 0.05) longestGapSeconds_ = std::max(longestGapSeconds_, gap);
  }
  lastArrivalNs_ = arrivalNs;
  if (epochNs_ == 0) epochNs_ = arrivalNs;
  if (arrivalNs - epochNs_ < 2'000'000'000) return currentSeconds;
  const double measured = std::clamp(longestGapSeconds_, 0.002, 0.025);
  longestGapSeconds_ = 0;
  epochNs_ = arrivalNs;
  if (measured > currentSeconds) return measured;
  // Down by a quarter of the way, but no more than 0.5 ms an epoch: where the device's delay plus
  // this figure sets the target (JACK's 43 ms periods, PulseAudio's default), a target falling
  // faster than the rate controller drains (a 25 ms spike came back in ~4 s) left the latency
  // above it and had the level corrector cut a period: one audible seam per sender hiccup (JACK
  // soak, 3 of 6 runs). At 0.25 ms/s the rate controller follows it within the allowance.
  return currentSeconds + std::max(0.25 * (measured - currentSeconds), -kMaxFallPerEpochSec);
}

}  // namespace scream::receiver
