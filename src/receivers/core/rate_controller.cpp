#include "rate_controller.h"

#include <algorithm>
#include <cmath>

namespace scream::receiver {

void RateController::reset() noexcept {
  elapsed_ = 0;
  smoothed_ = 0;
  primed_ = false;
  integral_ = 0;
  output_ = 0;
}

double RateController::gear() const {
  const Config& c = config_;
  if (elapsed_ <= c.gearStartSeconds) return 0;
  if (elapsed_ >= c.gearEndSeconds) return 1;
  return (elapsed_ - c.gearStartSeconds) / (c.gearEndSeconds - c.gearStartSeconds);
}

// Geometric between the two ends: no corner, and equal ratios in equal times.
double RateController::omega() const {
  return config_.startOmega * std::pow(config_.finalOmega / config_.startOmega, gear());
}

double RateController::slewPerSecond() const {
  const Config& c = config_;
  return 1e-6 * c.startSlewPpmPerSecond * std::pow(c.finalSlewPpmPerSecond / c.startSlewPpmPerSecond, gear());
}

double RateController::update(double errorSeconds, double dtSeconds) noexcept {
  const double dt = std::isfinite(dtSeconds) ? std::clamp(dtSeconds, 0.0, 1.0) : 0.0;
  const double raw = std::isfinite(errorSeconds) ? errorSeconds : 0.0;
  if (!primed_) {
    smoothed_ = raw;
    primed_ = true;
  } else if (config_.errorSmoothingSeconds > 0) {
    smoothed_ += (raw - smoothed_) * dt / (config_.errorSmoothingSeconds + dt);
  } else {
    smoothed_ = raw;
  }
  // The gear shifts only while the loop holds its target: narrowing an unsettled loop would
  // leave the rest of the acquisition to the slow loop.
  if (std::fabs(smoothed_) < config_.settledSeconds) elapsed_ += dt;
  const double error = std::clamp(smoothed_, -config_.errorClampSeconds, config_.errorClampSeconds);
  const double w = omega();
  const double kp = 2.0 * w, ki = w * w;
  const double limit = config_.limitPpm * 1e-6;
  const double candidate = std::clamp(integral_ + ki * error * dt, -limit, limit);
  const double wanted = kp * error + candidate;
  // Integrate unless that pushes further into saturation, and not while the error is beyond
  // the clamp: that much is a level to correct in time, not a clock rate to learn.
  const bool inRange = std::fabs(raw) <= config_.errorClampSeconds;
  if (inRange && (std::fabs(wanted) <= limit || (wanted > 0) != (error > 0))) integral_ = candidate;
  const double target = std::clamp(kp * error + integral_, -limit, limit);
  const double slew = slewPerSecond() * dt;
  output_ = std::clamp(target, output_ - slew, output_ + slew);
  return output_;
}

}  // namespace scream::receiver
