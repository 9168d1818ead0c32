// Pieces the benchmark runner and the calibration share: starting the recorder on the sink's
// monitor (and waiting for its first bytes), turning it into a Recording, JSON text.
#pragma once

#include <string>
#include <vector>

#include "pulse_recorder.h"
#include "score.h"

namespace scream::bench {

// Starts recording `sink`'s monitor and waits until the first bytes arrived (PulseAudio can take
// over a second): nothing may be sent before, or the first markers play unrecorded. Returns the
// milliseconds waited, or -1 (with a message on stderr).
double startRecording(testing::PulseRecorder& recorder);

// After recorder.stop(): channel 0 the tone, channel 1 the markers, placed by the timeline.
Recording recordingOf(const testing::PulseRecorder& recorder);

std::string jsonString(const std::string& s);
std::string join(const std::vector<std::string>& words);
// [[t, ms], ...]
std::string jsonSeries(const std::vector<LatencyPoint>& points);

}  // namespace scream::bench
