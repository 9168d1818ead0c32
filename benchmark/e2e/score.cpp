#include "score.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "marker_match.h"

namespace scream::bench {

namespace {

constexpr double kEdgeSeconds = 0.05;     // fade-in/out at a stretch's ends is no glitch
constexpr double kEndMarginSeconds = 0.1;  // the sender's exit is timed to a few ms only
constexpr double kTailSeconds = 1.0;      // a span's audio leaves the sink up to this much later
constexpr double kMergeGapSeconds = 0.5;  // spans closer than this are one stretch
constexpr double kMaxLatencyMs = MarkerMatchLimits{}.maxLatencyMs;  // the longest latency matched

// First and last frame above the audio threshold in [from, to), or {-1, -1}.
std::pair<long, long> soundBounds(const std::vector<float>& mono, long from, long to) {
  from = std::clamp<long>(from, 0, static_cast<long>(mono.size()));
  to = std::clamp<long>(to, from, static_cast<long>(mono.size()));
  const std::vector<float> slice(mono.begin() + from, mono.begin() + to);
  const long first = testing::firstSound(slice);
  if (first < 0) return {-1, -1};
  const std::vector<float> reversed(slice.rbegin(), slice.rend());
  return {from + first, to - 1 - testing::firstSound(reversed)};
}

}  // namespace

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

double slopePerMinute(const std::vector<LatencyPoint>& points) {
  if (points.size() < 2) return 0;
  double mx = 0, my = 0;
  for (const auto& p : points) mx += p.atSeconds, my += p.ms;
  mx /= static_cast<double>(points.size());
  my /= static_cast<double>(points.size());
  double sxy = 0, sxx = 0;
  for (const auto& p : points) sxy += (p.atSeconds - mx) * (p.ms - my), sxx += (p.atSeconds - mx) * (p.atSeconds - mx);
  return sxx > 0 ? sxy / sxx * 60.0 : 0;
}

std::vector<SentMarker> readMarkerLog(const std::string& path) {
  std::vector<SentMarker> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long marker = 0, frame = 0;
    long long sendNs = 0;
    if (std::sscanf(line.c_str(), "{\"marker\":%llu,\"frame\":%llu,\"send_ns\":%lld}", &marker, &frame,
                    &sendNs) == 3)
      out.push_back({sendNs});
  }
  return out;
}

std::vector<LatencyPoint> markerLatencies(const Recording& rec, const std::vector<SentMarker>& markers,
                                          double t0Ns) {
  std::vector<double> onsetNs, sendNs;
  for (double frame : testing::findMarkerOnsets(rec.markers, rec.rate))
    onsetNs.push_back(rec.timeline.playedNs(frame));
  for (const SentMarker& m : markers) sendNs.push_back(static_cast<double>(m.sendNs));
  const std::vector<double> ms = matchMarkers(sendNs, onsetNs);
  std::vector<LatencyPoint> out;
  for (size_t i = 0; i < ms.size(); ++i)
    if (!std::isnan(ms[i])) out.push_back({(sendNs[i] - t0Ns) * 1e-9, ms[i]});
  return out;
}

Score score(const Recording& rec, const std::vector<PlayedSpan>& spans,
            const std::vector<SentMarker>& markers) {
  Score s;
  const auto toFrame = [&](double ns) { return static_cast<long>(rec.timeline.frameAt(ns)); };

  s.markersSent = markers.size();
  const double t0 = spans.empty() ? 0 : static_cast<double>(spans.front().startNs);
  s.latency = markerLatencies(rec, markers, t0);
  std::vector<double> ms;
  for (const LatencyPoint& p : s.latency) ms.push_back(p.ms);

  // Glitches, stretch by stretch.
  for (size_t i = 0; i < spans.size();) {
    size_t last = i;
    while (last + 1 < spans.size() &&
           (spans[last + 1].startNs - spans[last].endNs) * 1e-9 < kMergeGapSeconds)
      ++last;
    const double nextStart = last + 1 < spans.size() ? static_cast<double>(spans[last + 1].startNs)
                                                     : 1e300;
    // After the last datagram the receiver conceals and fades: that is no glitch. The stretch
    // ends when its last datagram played, at the lowest latency its markers saw.
    double lowestMs = kMaxLatencyMs;
    for (const LatencyPoint& p : s.latency)
      if (p.atSeconds * 1e9 + t0 >= spans[i].startNs && p.atSeconds * 1e9 + t0 <= spans[last].endNs)
        lowestMs = std::min(lowestMs, p.ms);
    const double playedEndNs = spans[last].endNs + (lowestMs < kMaxLatencyMs ? lowestMs * 1e6 : 0.0);
    const double endNs = std::min(spans[last].endNs + kTailSeconds * 1e9, nextStart);
    const auto [first, lastSound] =
        soundBounds(rec.tone, toFrame(static_cast<double>(spans[i].startNs)), toFrame(endNs));
    i = last + 1;
    if (first < 0) continue;
    const double from = static_cast<double>(first) / rec.rate + kEdgeSeconds;
    const double to = std::min<double>(lastSound, rec.timeline.frameAt(playedEndNs)) / rec.rate -
                      kEndMarginSeconds;
    if (to <= from) continue;
    const testing::GlitchReport r = testing::detectGlitches(rec.tone, rec.rate, from, to);
    s.glitches.events += r.events;
    s.glitches.glitchMs += r.glitchMs;
    s.glitches.toneRmsDbfs = std::max(s.glitches.toneRmsDbfs, r.toneRmsDbfs);
    s.glitches.list.insert(s.glitches.list.end(), r.list.begin(), r.list.end());
    s.analysedSeconds += to - from;
  }

  s.medianMs = percentile(ms, 0.5);
  s.p95Ms = percentile(ms, 0.95);
  s.maxMs = ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end());
  s.slopeMsPerMinute = slopePerMinute(s.latency);
  s.deviceClockPpm = rec.timeline.clockPpm();
  return s;
}

}  // namespace scream::bench
