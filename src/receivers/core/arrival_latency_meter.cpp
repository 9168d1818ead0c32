#include "arrival_latency_meter.h"

#include <algorithm>
#include <cmath>
#include <limits>

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
constexpr double kMaxStepPerEpochSec = 0.0005;
// A rise beyond this is taken at once; a smaller one is the rank's own noise from period to
// period (+-1 ms under 20 ms of jitter), followed slowly: each small jump up had the level
// corrector insert a period (simulation, 20 ms jitter: a glitch).
constexpr double kJumpSec = 0.002;
constexpr int64_t kEpochNs = 2'000'000'000;
constexpr double kNone = -std::numeric_limits<double>::infinity();

// At the end of a period: toward what it measured, a quarter of the way, at most
// kMaxStepPerEpochSec either way (a larger rise was taken at once).
double slowFollow(double current, double measured) {
  return current + std::clamp(0.25 * (measured - current), -kMaxStepPerEpochSec, kMaxStepPerEpochSec);
}
}  // namespace

void LatenessMeter::keep(Top& top, double late) noexcept {
  if (late <= top[0]) return;
  size_t i = 0;  // the smallest goes; the rest shift down until late's place
  while (i + 1 < top.size() && top[i + 1] < late) {
    top[i] = top[i + 1];
    ++i;
  }
  top[i] = late;
}

LatenessMeter::LatenessMeter(double datagramSeconds) noexcept
    : rank_(static_cast<size_t>(std::clamp(std::ceil(0.048 / std::max(datagramSeconds, 1e-4)), 8.0,
                                           static_cast<double>(kMaxRank)))) {}

double LatenessMeter::rankedLate() const noexcept { return periodCount_ >= rank_ ? period_[kMaxRank - rank_] : kNone; }

void LatenessMeter::forgetHeld() noexcept {
  heldAside_.fill(kNone);
  holding_ = false;
}

double LatenessMeter::figure() const noexcept { return std::max(seconds_, kMinSeconds) + lossSeconds_; }

double LatenessMeter::onDatagram(int64_t arrivalNs, double lateSeconds, bool judging,
                                 double declaredSeconds) noexcept {
  if (epochNs_ == 0) {
    epochNs_ = arrivalNs;
    period_.fill(kNone);
    heldAside_.fill(kNone);
  }
  auto count = [&](double late) {
    keep(period_, late);
    ++periodCount_;
    periodMax_ = std::max(periodMax_, late);
  };
  const bool stall = lateSeconds > kMaxSeconds;  // (not counted at all)
  if (judging) {
    if (!stall) keep(heldAside_, lateSeconds);
    holding_ = true;
  } else {
    if (holding_) {
      for (double late : heldAside_) {
        if (late != kNone) count(late - declaredSeconds);
      }
      forgetHeld();
    }
    if (!stall) count(lateSeconds);
  }
  if (declaredSeconds > 0) {
    periodLoss_ = std::max(periodLoss_, std::min(declaredSeconds, kMaxLossSeconds));
    lossSeconds_ = std::max(lossSeconds_, periodLoss_);
  }
  const bool epochEnds = arrivalNs - epochNs_ >= kEpochNs;
  if (!settled_) {
    // The first period: the latest so far (priming needs a figure after 40 ms).
    seconds_ = std::clamp(std::max(seconds_, periodMax_), kMinSeconds, kMaxSeconds);
    if (!epochEnds) return figure();
    settled_ = true;
  } else if (rankedLate() > seconds_ + kJumpSec) {
    seconds_ = std::min(rankedLate(), kMaxSeconds);  // up at once
  }
  if (!epochEnds) return figure();
  if (periodCount_ > 0) {
    // The rank leaves out the latest few; where the latest recur period after period (bursts
    // of jitter, not a stall), the ring must bridge them too: the third latest of the last
    // kRecurPeriods periods' latest (bursty jitter of 0-40 ms: the rank read 40 ms, the
    // latest 45, and the ring ran dry every few bursts; the second latest took this VM's
    // stalls, two in 8 s, for such bursts: 15 ms more latency on a clean stream).
    recentMax_[recentCount_++ % recentMax_.size()] = periodMax_;
    std::array<double, kRecurPeriods> recent = recentMax_;
    std::sort(recent.begin(), recent.end());
    const double recurring = recentCount_ >= 3 ? recent[kRecurPeriods - 3] : kNone;
    const double ranked = periodCount_ >= rank_ ? rankedLate() : periodMax_;
    const double measured = std::clamp(std::max(ranked, recurring), kMinSeconds, kMaxSeconds);
    seconds_ = measured > seconds_ + kJumpSec ? measured : slowFollow(seconds_, measured);
  }
  lossSeconds_ = slowFollow(lossSeconds_, periodLoss_);  // (a rise was taken with the declaration)
  period_.fill(kNone);
  periodCount_ = 0;
  periodMax_ = 0;
  periodLoss_ = 0;
  epochNs_ = arrivalNs;
  return figure();
}

}  // namespace scream::receiver
