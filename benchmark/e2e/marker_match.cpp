#include "marker_match.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace scream::bench {

namespace {

constexpr double kNoMatch = std::numeric_limits<double>::quiet_NaN();

// The latency (ns) that the most of markers [first, last) agree on, or NaN if too few agree.
double vote(const std::vector<double>& sendNs, const std::vector<double>& onsetNs, size_t first,
            size_t last, const MarkerMatchLimits& limits) {
  std::vector<double> offsets;
  for (size_t i = first; i < last; ++i) {
    auto o = std::lower_bound(onsetNs.begin(), onsetNs.end(), sendNs[i]);
    for (; o != onsetNs.end() && *o - sendNs[i] <= limits.maxLatencyMs * 1e6; ++o)
      offsets.push_back(*o - sendNs[i]);
  }
  std::sort(offsets.begin(), offsets.end());
  size_t bestFrom = 0, bestCount = 0;
  for (size_t from = 0, to = 0; from < offsets.size(); ++from) {
    while (to < offsets.size() && offsets[to] - offsets[from] <= limits.voteWindowMs * 1e6) ++to;
    if (to - from > bestCount) bestFrom = from, bestCount = to - from;
  }
  // A short run has few markers: most of them must agree (one alone takes its first onset).
  const size_t markers = last - first;
  if (bestCount < std::min(limits.minVotes, std::max<size_t>(1, markers - markers / 3))) return kNoMatch;
  return offsets[bestFrom + bestCount / 2];
}

}  // namespace

std::vector<double> matchMarkers(const std::vector<double>& sendNs, const std::vector<double>& onsetNs,
                                 const MarkerMatchLimits& limits) {
  std::vector<double> latencyMs(sendNs.size(), kNoMatch);
  double offset = kNoMatch;
  size_t misses = 0;
  for (size_t i = 0; i < sendNs.size(); ++i) {
    if (std::isnan(offset)) {
      offset = vote(sendNs, onsetNs, i, std::min(sendNs.size(), i + limits.voteMarkers), limits);
      misses = 0;
      if (std::isnan(offset)) continue;
    }
    const double expected = sendNs[i] + offset;
    const auto after = std::lower_bound(onsetNs.begin(), onsetNs.end(), expected);
    double nearest = kNoMatch;
    if (after != onsetNs.end()) nearest = *after;
    if (after != onsetNs.begin() && (std::isnan(nearest) || expected - *(after - 1) < nearest - expected))
      nearest = *(after - 1);
    if (!std::isnan(nearest) && std::fabs(nearest - expected) <= limits.trackMs * 1e6 &&
        nearest > sendNs[i]) {
      latencyMs[i] = (nearest - sendNs[i]) * 1e-6;
      offset = nearest - sendNs[i];
      misses = 0;
    } else if (++misses >= limits.missesToUnlock) {
      offset = kNoMatch;
    }
  }
  return latencyMs;
}

}  // namespace scream::bench
