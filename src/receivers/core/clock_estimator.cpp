#include "clock_estimator.h"

#include <algorithm>
#include <cmath>

namespace scream::receiver {

namespace {

// Bandwidth once the least-squares start-up has narrowed down to it. The loop then averages over
// roughly 1 / (2 pi B) = 16 s: with 20 ms of jitter the rate estimate stays within ~10 ppm, while
// a sender clock that drifts with temperature (ppm per minute) is still followed closely. The
// drift controller removes whatever residual is left.
constexpr double kFinalBandwidthHz = 0.01;
// About one sender timer period: timer bursts and LAN jitter mostly pass unclamped, while a stall
// of 80 ms is seen as a dozen errors of 10 ms, which moves the rate by only a few ppm.
constexpr double kErrorClampSeconds = 0.010;
// Long enough that a stall of a few hundred ms cannot fill it with only late packets.
constexpr double kJumpWindowSeconds = 0.5;
// After a resync or a jump the phase is re-learned alone (rate frozen) for this long, as the mean
// of the clamped arrival offsets (the point the loop itself settles on). One packet is a poor
// anchor when jitter spans several periods, and the narrow loop turns a phase error into a rate
// excursion of about error x 2 pi B (1 ms -> 60 ppm): averaging 4 s of 20 ms jitter leaves ~0.3 ms.
constexpr double kReacquireSeconds = 4.0;
// Damping of the narrow loop. Fons uses 0.707 (b = sqrt(2) w); more damping lets the phase path
// work off a phase error (after a re-anchor) with less of it leaking into the rate, at no cost in
// rate noise here (measured: 8 ppm worst after 3 min with 20 ms jitter, either way).
constexpr double kDamping = 1.5;
// Lock once the rate is known to about this (one standard deviation, from the observed jitter).
constexpr double kLockSigma = 80e-6;
// ... but not before the jitter itself has been measured on this many packets.
constexpr double kLockMinPackets = 100;
// The error variance estimate turns from a plain mean into a moving one after this many packets.
constexpr double kVarianceMemory = 1000.0;

}  // namespace

void ClockEstimator::reset(double nominalRate) {
  if (!(nominalRate > 0)) nominalRate = 48000.0;
  nominalPeriod_ = 1.0 / nominalRate;
  period_ = nominalPeriod_;
  originNs_ = 0;
  phase_ = 0;
  started_ = false;
  locked_ = false;
  packets_ = 0;
  jumps_ = 0;
  errorVariance_ = 0;
  windowFrames_ = kJumpWindowSeconds * nominalRate;
  windowFill_ = 0;
  windowMinError_ = HUGE_VAL;
  windowMaxError_ = -HUGE_VAL;
  periodAtWindowStart_ = period_;
  periodAtPreviousWindowStart_ = period_;
  reacquireLeft_ = 0;
  reacquired_ = 0;
  carried_ = 0;
}

void ClockEstimator::resync() noexcept {
  started_ = false;
  carried_ = 0;
  startReacquiring();
}

void ClockEstimator::startReacquiring() noexcept {
  reacquireLeft_ = kReacquireSeconds / nominalPeriod_;
  reacquired_ = 0;
  windowFill_ = 0;
  windowMinError_ = HUGE_VAL;
  windowMaxError_ = -HUGE_VAL;
  periodAtWindowStart_ = period_;
  periodAtPreviousWindowStart_ = period_;
}

void ClockEstimator::onFrames(int64_t arrivalNs, int64_t frames) noexcept {
  frames += carried_;
  carried_ = std::min<int64_t>(frames, 0);
  if (frames <= 0) return;  // a fragment only (or frames taken back): nothing to place
  const double n = static_cast<double>(frames);
  if (!started_) {
    // The first packet anchors the phase; it may be late by a burst or the network, which the
    // loop then corrects within the first few dozen packets.
    started_ = true;
    originNs_ = arrivalNs;
    phase_ = 0;
    if (packets_ == 0) packets_ = 1;
    return;
  }
  const double t = static_cast<double>(arrivalNs - originNs_) * 1e-9;
  const double predicted = phase_ + n * period_;
  const double error = t - predicted;

  if (reacquireLeft_ > 0) {
    reacquireLeft_ -= n;
    ++reacquired_;
    const double step =
        reacquired_ == 1 ? error : std::clamp(error, -kErrorClampSeconds, kErrorClampSeconds);
    phase_ = predicted + step / static_cast<double>(reacquired_);
    return;
  }

  ++packets_;
  const double k = static_cast<double>(packets_);
  const double w = 2.0 * M_PI * kFinalBandwidthHz * n * nominalPeriod_;
  const double b = std::max(2.0 * kDamping * w, 2.0 * (2.0 * k - 1.0) / (k * (k + 1.0)));
  const double c = std::max(w * w, 6.0 / (k * (k + 1.0)));
  const double e = std::clamp(error, -kErrorClampSeconds, kErrorClampSeconds);
  phase_ = predicted + b * e;
  period_ += c * e / n;

  const double memory = std::min(k, kVarianceMemory);
  errorVariance_ += (e * e - errorVariance_) / memory;
  if (!locked_ && k >= kLockMinPackets) {
    // Standard deviation of a least-squares slope over k evenly spaced points, relative to the
    // packet period. Once the gains stop shrinking, the estimate is as good as it will get.
    const double sigma = std::sqrt(12.0 * errorVariance_ / (k * (k * k - 1.0))) / (n * period_);
    locked_ = sigma < kLockSigma || c <= w * w;
  }

  windowMinError_ = std::min(windowMinError_, error);
  windowMaxError_ = std::max(windowMaxError_, error);
  windowFill_ += n;
  if (windowFill_ >= windowFrames_) closeWindow();
}

void ClockEstimator::closeWindow() noexcept {
  const bool allLate = windowMinError_ > kErrorClampSeconds;
  const bool allEarly = windowMaxError_ < -kErrorClampSeconds;
  if (allLate || allEarly) {
    // Take back what the clamped errors did to the rate and learn the phase afresh. The jump
    // most likely began inside the previous window, so go back to where that one started: half
    // a second of updates is nothing to the narrow loop.
    period_ = periodAtPreviousWindowStart_;
    ++jumps_;
    startReacquiring();
    return;
  }
  windowFill_ = 0;
  windowMinError_ = HUGE_VAL;
  windowMaxError_ = -HUGE_VAL;
  periodAtPreviousWindowStart_ = periodAtWindowStart_;
  periodAtWindowStart_ = period_;
}

}  // namespace scream::receiver
