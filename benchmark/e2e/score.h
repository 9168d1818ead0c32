// Scores one recorded run as /work/shared/TESTING.md says, with the detector and marker-onset
// finder of test/support/audio_analysis: glitch events and milliseconds on the 997 Hz tone, and
// marker latency (arrival at the sink's monitor minus the marker's send time) with its median,
// p95, max and slope.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/audio_analysis.h"
#include "support/device_timeline.h"

namespace scream::bench {

struct SentMarker {
  int64_t sendNs;  // CLOCK_MONOTONIC, from scream-send --marker-log
};

struct PlayedSpan {  // one scream-send run
  int64_t startNs, endNs;
};

struct LatencyPoint {
  double atSeconds;  // send time since the first segment started
  double ms;
};

struct Score {
  testing::GlitchReport glitches;
  double analysedSeconds = 0;
  std::vector<LatencyPoint> latency;
  size_t markersSent = 0;
  double medianMs = 0, p95Ms = 0, maxMs = 0, slopeMsPerMinute = 0;
  double deviceClockPpm = 0;  // the sink's clock against CLOCK_MONOTONIC, from the recorder
};

// A recording of the sink: channel 0 the tone, channel 1 the markers; when each frame played.
struct Recording {
  std::vector<float> tone, markers;
  uint32_t rate;
  testing::DeviceTimeline timeline;
};

std::vector<SentMarker> readMarkerLog(const std::string& path);

// Each marker's latency: its onset on the sink's monitor, placed in CLOCK_MONOTONIC by the
// timeline, minus its send time; markers matched as marker_match.h says. Unmatched ones left out.
std::vector<LatencyPoint> markerLatencies(const Recording& recording, const std::vector<SentMarker>& markers,
                                          double t0Ns);
double percentile(std::vector<double> v, double p);
double slopePerMinute(const std::vector<LatencyPoint>& points);

// Spans closer than half a second are scored as one stretch (a format switch counts); a longer
// gap (silence suppression) is not a glitch, so each stretch is scored from its first to its
// last sound, 50 ms inside either end.
Score score(const Recording& recording, const std::vector<PlayedSpan>& spans,
            const std::vector<SentMarker>& markers);

}  // namespace scream::bench
