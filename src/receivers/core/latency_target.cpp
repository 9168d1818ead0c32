#include "latency_target.h"

#include <algorithm>

namespace scream::receiver {

LatencyTarget::Config LatencyTarget::Config::forStream(double sampleRate, double payloadFrames) {
  Config c;
  const double ms = sampleRate / 1000.0;
  c.initialFrames = std::max(4.0 * payloadFrames, 24.0 * ms);
  c.minFrames = c.initialFrames;
  c.maxFrames = std::max(250.0 * ms, c.initialFrames);
  c.stepUpFrames = std::max(2.0 * payloadFrames, 10.0 * ms);
  c.stepDownFrames = 2.0 * ms;
  return c;
}

void LatencyTarget::reset(const Config& config) noexcept {
  config_ = config;
  config_.maxFrames = std::max(config_.maxFrames, config_.minFrames);
  frames_ = std::clamp(config_.initialFrames, config_.minFrames, config_.maxFrames);
  // A clean network needs no less than the start value, so the target never goes below it.
  floor_ = std::max(config_.minFrames, frames_);
  clockStarted_ = false;
}

void LatencyTarget::raise(double by, double nowSeconds) noexcept {
  if (config_.pinned) return;
  frames_ = std::min(frames_ + by, std::max(config_.maxFrames, frames_));
  lastChange_ = nowSeconds;
  clockStarted_ = true;
}

void LatencyTarget::onUnderrun(double nowSeconds, double dryFrames) noexcept {
  raise(std::max(config_.stepUpFrames, dryFrames), nowSeconds);
}

void LatencyTarget::onNearMiss(double nowSeconds) noexcept {
  raise(0.5 * config_.stepUpFrames, nowSeconds);
}

void LatencyTarget::tick(double nowSeconds) noexcept {
  if (config_.pinned) return;
  if (!clockStarted_) {
    // The hold-off counts from the first time we hear of the clock.
    lastChange_ = nowSeconds;
    clockStarted_ = true;
    return;
  }
  if (nowSeconds - lastChange_ < config_.holdOffSeconds || frames_ <= floor_) return;
  frames_ = std::max(floor_, frames_ - config_.stepDownFrames);
  lastChange_ = nowSeconds;
}

}  // namespace scream::receiver
