#include "support/device_timeline.h"

#include <algorithm>
#include <cmath>

namespace scream::testing {

namespace {

constexpr size_t kMinStampsPerEstimate = 9;
constexpr double kMinOutlierNs = 500'000;  // residuals within 0.5 ms are never outliers

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<long>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

struct Line {
  double ns0, nsPerFrame;  // ns = ns0 + nsPerFrame * (frame - frame0)
};

// Least squares of ns over frame, relative to the first stamp (keeps the sums exact enough).
Line fit(const std::vector<DeviceStamp>& s, const std::vector<bool>& use, double fallback) {
  double n = 0, mf = 0, mt = 0;
  for (size_t i = 0; i < s.size(); ++i)
    if (use[i]) n += 1, mf += s[i].frame - s[0].frame, mt += s[i].ns - s[0].ns;
  if (n < 2) return {s[0].ns, fallback};
  mf /= n, mt /= n;
  double sff = 0, sft = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!use[i]) continue;
    const double df = s[i].frame - s[0].frame - mf;
    sff += df * df, sft += df * (s[i].ns - s[0].ns - mt);
  }
  if (sff <= 0) return {s[0].ns, fallback};
  const double slope = sft / sff;
  return {s[0].ns + mt - slope * mf, slope};
}

}  // namespace

DeviceTimeline::DeviceTimeline(std::vector<DeviceStamp> stamps, uint32_t nominalRate)
    : stamps_(std::move(stamps)), rate_(nominalRate), nsPerFrame_(1e9 / nominalRate) {
  std::stable_sort(stamps_.begin(), stamps_.end(),
                   [](const DeviceStamp& a, const DeviceStamp& b) { return a.frame < b.frame; });
  if (stamps_.size() < 2 || stamps_.back().frame <= stamps_.front().frame) return;
  // A stalled reader stamps late by 10-30 ms here: fit, drop what lies far off the line, refit.
  std::vector<bool> use(stamps_.size(), true);
  Line line = fit(stamps_, use, nsPerFrame_);
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<double> residual(stamps_.size());
    for (size_t i = 0; i < stamps_.size(); ++i)
      residual[i] = stamps_[i].ns - line.ns0 - line.nsPerFrame * (stamps_[i].frame - stamps_[0].frame);
    const double center = median(residual);
    std::vector<double> spread(residual.size());
    for (size_t i = 0; i < residual.size(); ++i) spread[i] = std::fabs(residual[i] - center);
    const double limit = std::max(5 * median(spread), kMinOutlierNs);
    for (size_t i = 0; i < residual.size(); ++i) use[i] = std::fabs(residual[i] - center) <= limit;
    line = fit(stamps_, use, nsPerFrame_);
  }
  nsPerFrame_ = line.nsPerFrame;
  ppm_ = (1e9 / (nsPerFrame_ * rate_) - 1) * 1e6;
}

double DeviceTimeline::playedNs(double frame) const {
  if (stamps_.empty()) return frame * nsPerFrame_;
  const double window = kWindowSeconds * rate_;
  const auto byFrame = [](const DeviceStamp& s, double f) { return s.frame < f; };
  auto from = std::lower_bound(stamps_.begin(), stamps_.end(), frame - window, byFrame);
  auto to = std::lower_bound(from, stamps_.end(), frame + window, byFrame);
  // Too few near it (the recording's ends, a hole): take the nearest stamps instead.
  while (static_cast<size_t>(to - from) < kMinStampsPerEstimate &&
         static_cast<size_t>(to - from) < stamps_.size()) {
    if (from != stamps_.begin()) --from;
    if (to != stamps_.end()) ++to;
  }
  std::vector<double> carried;
  carried.reserve(static_cast<size_t>(to - from));
  for (auto s = from; s != to; ++s) carried.push_back(s->ns + (frame - s->frame) * nsPerFrame_);
  return median(std::move(carried));
}

double DeviceTimeline::frameAt(double ns) const {
  if (stamps_.empty()) return ns / nsPerFrame_;
  double frame = stamps_.front().frame + (ns - stamps_.front().ns) / nsPerFrame_;
  for (int i = 0; i < 3; ++i) frame += (ns - playedNs(frame)) / nsPerFrame_;
  return frame;
}

DeviceTimeline DeviceTimeline::oneOrigin() const {
  if (stamps_.empty()) return *this;
  std::vector<double> origins;
  for (const DeviceStamp& s : stamps_) origins.push_back(s.ns - s.frame * 1e9 / rate_);
  const double origin = median(std::move(origins));
  const double last = stamps_.back().frame;
  return DeviceTimeline({{0, origin}, {last, origin + last * 1e9 / rate_}}, rate_);
}

double DeviceTimeline::spanSeconds() const {
  return stamps_.size() < 2 ? 0 : (stamps_.back().frame - stamps_.front().frame) / rate_;
}

}  // namespace scream::testing
