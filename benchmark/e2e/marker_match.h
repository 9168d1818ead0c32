// Pairs sent latency markers with the onsets found in a recording without knowing the latency.
//
// The tone's markers are irregularly spaced (0.4-1.6 s apart, src/sender/tone_source.h), so
// only the true latency lines most markers up with an onset: a wrong pairing (a marker with its
// neighbour's onset) is off by a different interval for every marker. The offset most of the next
// markers agree on (to 3 ms plus 3 ms per second of drift) gives the latency; from there each
// marker takes the onset nearest to where the previous marker's latency puts it, so a latency
// that drifts (a receiver without drift control) or steps (a stall, a re-prime) is followed.
// Lock is lost after a few markers without an onset, and found again by a new vote.
#pragma once

#include <cstddef>
#include <vector>

namespace scream::bench {

struct MarkerMatchLimits {
  double maxLatencyMs = 3000;  // no receiver holds more
  double voteWindowMs = 3;     // onsets agreeing within this are one offset
  double driftMsPerSecond = 3;  // plus this per second between markers: a device 3000 ppm off
  size_t voteMarkers = 20;     // markers per vote
  size_t minVotes = 4;         // an offset fewer markers agree on is no lock (fewer in short runs)
  double trackMs = 100;        // half the least marker spacing would be 200
  size_t missesToUnlock = 5;
};

// sendNs and onsetNs ascending, both CLOCK_MONOTONIC. Returns each marker's latency in ms, or a
// NaN where no onset was matched.
std::vector<double> matchMarkers(const std::vector<double>& sendNs, const std::vector<double>& onsetNs,
                                 const MarkerMatchLimits& limits = {});

}  // namespace scream::bench
