#include "support/device_timeline.h"

#include <algorithm>
#include <cmath>

namespace scream::testing {

namespace {

constexpr size_t kMinStampsPerEstimate = 9;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<long>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

// A read is placed late when the reader stalled, and a sink that changes its block size (a new
// stream with another latency) moves every later stamp by a few ms at once. So the rate comes
// from medians, not a least-squares line: each quarter second of stamps gives one robust point
// (the median of ns - frame * nominal), and the rate is the median slope over all pairs of
// points at least kMinLagSeconds apart (Theil-Sen), which a step or a stall barely moves.
constexpr double kBinSeconds = 0.25;
constexpr double kMinLagSeconds = 1.0;

struct Point {
  double frame, offsetNs;  // offsetNs: ns - frame * nominal ns per frame, relative to the first
};

std::vector<Point> binnedPoints(const std::vector<DeviceStamp>& s, double rate) {
  std::vector<Point> points;
  const double nominal = 1e9 / rate, binFrames = kBinSeconds * rate;
  for (size_t first = 0; first < s.size();) {
    size_t last = first;
    while (last < s.size() && s[last].frame < s[first].frame + binFrames) ++last;
    std::vector<double> frames, offsets;
    for (size_t i = first; i < last; ++i) {
      frames.push_back(s[i].frame);
      offsets.push_back(s[i].ns - s[0].ns - (s[i].frame - s[0].frame) * nominal);
    }
    points.push_back({median(frames), median(offsets)});
    first = last;
  }
  return points;
}

}  // namespace

DeviceTimeline::DeviceTimeline(std::vector<DeviceStamp> stamps, uint32_t nominalRate)
    : stamps_(std::move(stamps)), rate_(nominalRate), nsPerFrame_(1e9 / nominalRate) {
  std::stable_sort(stamps_.begin(), stamps_.end(),
                   [](const DeviceStamp& a, const DeviceStamp& b) { return a.frame < b.frame; });
  const std::vector<Point> points = binnedPoints(stamps_, rate_);
  std::vector<double> slopes;  // extra ns per frame
  for (size_t i = 0; i < points.size(); ++i)
    for (size_t j = i + 1; j < points.size(); ++j)
      if (points[j].frame - points[i].frame >= kMinLagSeconds * rate_)
        slopes.push_back((points[j].offsetNs - points[i].offsetNs) / (points[j].frame - points[i].frame));
  if (slopes.empty()) return;  // under a second: the nominal rate
  nsPerFrame_ += median(std::move(slopes));
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
