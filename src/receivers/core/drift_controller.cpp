#include "drift_controller.h"

#include <algorithm>
#include <cmath>

namespace scream::receiver {

DriftController::Config DriftController::Config::forRate(double sampleRate) {
  Config c;
  const double scale = sampleRate > 0 ? 48000.0 / sampleRate : 1.0;
  c.kp *= scale;
  c.ki *= scale;
  c.catchUpThresholdFrames /= scale;
  return c;
}

void DriftController::reset() noexcept {
  integral_ = 0;
  smoothed_ = 0;
  primed_ = false;
  catchingUp_ = false;
}

double DriftController::update(double delayErrorFrames, double dtSeconds) noexcept {
  if (!std::isfinite(delayErrorFrames)) delayErrorFrames = 0;
  const double dt = std::isfinite(dtSeconds) ? std::clamp(dtSeconds, 0.0, 1.0) : 0.0;

  double error = delayErrorFrames;
  if (config_.errorSmoothingSeconds > 0) {
    if (!primed_) {
      smoothed_ = error;
      primed_ = true;
    } else {
      smoothed_ += (error - smoothed_) * dt / (config_.errorSmoothingSeconds + dt);
    }
    error = smoothed_;
  }

  const double magnitude = std::fabs(error);
  if (catchingUp_) {
    catchingUp_ = magnitude > 0.5 * config_.catchUpThresholdFrames;
  } else {
    catchingUp_ = magnitude > config_.catchUpThresholdFrames;
  }
  const double steady = config_.steadyClampPpm * 1e-6;
  const double limit = catchingUp_ ? std::max(config_.catchUpClamp, steady) : steady;

  const double proportional = config_.kp * (catchingUp_ ? config_.catchUpGain : 1.0) * error;
  if (!catchingUp_) {
    const double candidate = std::clamp(integral_ + config_.ki * error * dt, -steady, steady);
    const double output = proportional + candidate;
    // Integrate unless that would push further into saturation.
    const bool saturated = std::fabs(output) > limit;
    if (!saturated || (output > 0) != (error > 0)) integral_ = candidate;
  }
  return std::clamp(proportional + integral_, -limit, limit);
}

void DriftController::shiftIntegral(double delta) noexcept {
  if (!std::isfinite(delta)) return;
  const double steady = config_.steadyClampPpm * 1e-6;
  integral_ = std::clamp(integral_ - delta, -steady, steady);
}

}  // namespace scream::receiver
