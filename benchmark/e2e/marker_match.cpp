#include "marker_match.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace scream::bench {

namespace {

constexpr double kNoMatch = std::numeric_limits<double>::quiet_NaN();

bool onsetNear(const std::vector<double>& onsetNs, double ns, double tolerance) {
  const auto at = std::lower_bound(onsetNs.begin(), onsetNs.end(), ns - tolerance);
  return at != onsetNs.end() && *at <= ns + tolerance;
}

// Marker `first`'s latency (ns) that most of markers [first, last) agree on, or NaN: each onset
// after marker `first` proposes an offset, and counts the later markers with an onset there,
// allowing for drift since marker `first` (a receiver that does not follow the device at all).
double vote(const std::vector<double>& sendNs, const std::vector<double>& onsetNs, size_t first,
            size_t last, const MarkerMatchLimits& limits) {
  double best = kNoMatch;
  size_t bestVotes = 0;
  auto o = std::lower_bound(onsetNs.begin(), onsetNs.end(), sendNs[first]);
  for (; o != onsetNs.end() && *o - sendNs[first] <= limits.maxLatencyMs * 1e6; ++o) {
    const double offset = *o - sendNs[first];
    size_t votes = 1;
    for (size_t j = first + 1; j < last; ++j) {
      const double seconds = (sendNs[j] - sendNs[first]) * 1e-9;
      votes += onsetNear(onsetNs, sendNs[j] + offset,
                         (limits.voteWindowMs + limits.driftMsPerSecond * seconds) * 1e6);
    }
    if (votes > bestVotes) best = offset, bestVotes = votes;
  }
  // A short run has few markers: most of them must agree (one alone takes its first onset).
  const size_t markers = last - first;
  if (bestVotes < std::min(limits.minVotes, std::max<size_t>(1, markers - markers / 3))) return kNoMatch;
  return best;
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
