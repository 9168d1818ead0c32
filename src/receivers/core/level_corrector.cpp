#include "level_corrector.h"

#include <algorithm>
#include <cmath>

namespace scream::receiver {

namespace {

constexpr double kStartToleranceSeconds = 0.001;
// A period longer than this times the error would leave half the error or more the other way:
// not worth a seam (on a pure tone the only clean period may be 7 ms).
constexpr double kMaxOvershoot = 1.5;

// What one insert or cut can do about `frames`: at least a shortest period (when that is
// nearer than doing nothing: from half of it on), at most a longest one. 0: nothing.
double periodSized(double frames, size_t minPeriodFrames, size_t maxPeriodFrames) {
  const double minPeriod = static_cast<double>(minPeriodFrames);
  if (frames < 0.5 * minPeriod) return 0;
  return std::clamp(frames, minPeriod, static_cast<double>(maxPeriodFrames));
}

}  // namespace

void LevelCorrector::reset() noexcept {
  unseenSeconds_ = 0;
  lastActionSeconds_ = -1e9;
}

LevelCorrector::Decision LevelCorrector::decide(double nowSeconds, double dtSeconds,
                                                double measuredErrorSeconds, double owedFrames,
                                                double rate, size_t minPeriodFrames,
                                                size_t maxPeriodFrames, bool busy, bool ringLow) noexcept {
  if (dtSeconds > 0) unseenSeconds_ *= std::exp(-dtSeconds / config_.meterSeconds);
  if (busy) return {};
  const double minPeriod = static_cast<double>(minPeriodFrames);
  if (owedFrames >= 0.5 * minPeriod) {
    return {Action::kInsert, Reason::kOwed, static_cast<size_t>(std::lround(owedFrames))};
  }
  if (owedFrames <= -minPeriod) {
    return {Action::kCut, Reason::kOwed, std::min(static_cast<size_t>(-owedFrames), maxPeriodFrames)};
  }
  if (nowSeconds - lastActionSeconds_ < config_.minIntervalSeconds) return {};
  const double error = effectiveError(measuredErrorSeconds);
  if (!std::isfinite(error) || std::fabs(error) <= config_.allowanceSeconds) return {};
  if (error < 0 && !ringLow) return {};
  const double frames = periodSized(std::fabs(error) * rate, minPeriodFrames, maxPeriodFrames);
  if (frames == 0) return {};
  lastActionSeconds_ = nowSeconds;
  return {error > 0 ? Action::kCut : Action::kInsert, Reason::kLevel, static_cast<size_t>(frames),
          static_cast<size_t>(kMaxOvershoot * std::fabs(error) * rate)};
}

LevelCorrector::Decision LevelCorrector::correctStart(double nowSeconds, double measuredErrorSeconds,
                                                      double rate, size_t minPeriodFrames,
                                                      size_t maxPeriodFrames) noexcept {
  const double error = effectiveError(measuredErrorSeconds);
  if (!std::isfinite(error) || std::fabs(error) < kStartToleranceSeconds) return {};
  const double frames = periodSized(std::fabs(error) * rate, minPeriodFrames, maxPeriodFrames);
  if (frames == 0) return {};
  lastActionSeconds_ = nowSeconds;
  return {error > 0 ? Action::kCut : Action::kInsert, Reason::kLevel, static_cast<size_t>(frames),
          static_cast<size_t>(kMaxOvershoot * std::fabs(error) * rate)};
}

void LevelCorrector::onLevelApplied(double frames, double rate) noexcept {
  if (rate > 0) unseenSeconds_ += frames / rate;
}

}  // namespace scream::receiver
