#include "calibrate.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>

#include "known_path.h"
#include "run_support.h"
#include "support/test_sender.h"

namespace scream::bench {

namespace {

// The known path's own noise is one-sided: a stalled writer stamps a marker late, so it reads
// 10-30 ms short. The trimmed slope leaves out markers further than this from the median.
constexpr double kTrimMs = 5;

struct Placement {
  const char* name;
  std::vector<LatencyPoint> latency;
  double medianMs, slopeMsPerMinute, trimmedSlopeMsPerMinute, deviceClockPpm;
};

Placement place(const char* name, Recording recording, const std::vector<SentMarker>& markers,
                double t0Ns) {
  Placement p{name, markerLatencies(recording, markers, t0Ns), 0, 0, 0, recording.timeline.clockPpm()};
  std::vector<double> ms;
  for (const LatencyPoint& l : p.latency) ms.push_back(l.ms);
  p.medianMs = percentile(ms, 0.5);
  p.slopeMsPerMinute = slopePerMinute(p.latency);
  std::vector<LatencyPoint> trimmed;
  for (const LatencyPoint& l : p.latency)
    if (std::fabs(l.ms - p.medianMs) <= kTrimMs) trimmed.push_back(l);
  p.trimmedSlopeMsPerMinute = slopePerMinute(trimmed);
  return p;
}

}  // namespace

bool runCalibration(const Scenario& sc, double seconds, testing::PulseServer& server,
                    const std::string& outDir) {
  std::fprintf(stderr, "== %s (%.0f s)\n", sc.name.c_str(), seconds);
  testing::PulseRecorder recorder(server.sinkName() + ".monitor", 48000, "front-left,front-right");
  const double firstBytesMs = startRecording(recorder);
  if (firstBytesMs < 0) return false;
  KnownPathPlayer player(server.sinkName());
  std::string error;
  const int64_t t0 = testing::monotonicNs();
  if (!player.start(&error)) {
    std::fprintf(stderr, "known path: %s\n", error.c_str());
    return false;
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  player.stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the last markers play
  recorder.stop();

  std::vector<SentMarker> markers;
  for (int64_t ns : player.markerWriteNs()) markers.push_back({ns});
  const Recording recording = recordingOf(recorder);
  const double t0Ns = static_cast<double>(t0);
  const Placement placements[] = {
      place("by_read_times", recording, markers, t0Ns),
      place("by_server_latency", {recording.tone, recording.markers, recording.rate,
                                  recorder.serverLatencyTimeline()}, markers, t0Ns),
      place("one_origin", {recording.tone, recording.markers, recording.rate,
                           recording.timeline.oneOrigin()}, markers, t0Ns)};

  std::ofstream out(outDir + "/" + sc.name + "__known-path.json");
  out << "{\n  \"scenario\": " << jsonString(sc.name) << ",\n  \"mode\": \"known-path\""
      << ",\n  \"kind\": \"calibration\",\n  \"description\": " << jsonString(sc.description)
      << ",\n  \"seconds\": " << seconds << ",\n  \"device_clock_speed\": " << sc.deviceSpeed
      << ",\n  \"client_buffer_ms\": " << KnownPathPlayer::kBufferMs
      << ",\n  \"recorder_first_bytes_ms\": " << firstBytesMs
      << ",\n  \"recorder_holes\": " << recorder.holes()
      << ",\n  \"markers_sent\": " << markers.size()
      << ",\n  \"markers_matched\": " << placements[0].latency.size()
      << ",\n  \"device_clock_ppm\": " << placements[0].deviceClockPpm
      << ",\n  \"latency_median_ms\": " << placements[0].medianMs
      << ",\n  \"latency_slope_ms_per_min\": " << placements[0].slopeMsPerMinute
      << ",\n  \"latency_slope_trimmed_ms_per_min\": " << placements[0].trimmedSlopeMsPerMinute;
  for (const Placement& p : placements)
    out << ",\n  \"" << p.name << "\": {\"device_clock_ppm\": " << p.deviceClockPpm
        << ", \"latency_median_ms\": " << p.medianMs
        << ", \"latency_slope_ms_per_min\": " << p.slopeMsPerMinute
        << ", \"latency_slope_trimmed_ms_per_min\": " << p.trimmedSlopeMsPerMinute
        << ", \"markers_matched\": " << p.latency.size() << "}";
  out << ",\n  \"latency\": " << jsonSeries(placements[0].latency) << "\n}\n";
  for (const Placement& p : placements)
    std::fprintf(stderr, "   %-18s device %+7.1f ppm, latency median %5.1f ms, slope %+6.2f ms/min "
                 "(%+6.2f without the writer's stalls), %zu/%zu markers\n", p.name, p.deviceClockPpm,
                 p.medianMs, p.slopeMsPerMinute, p.trimmedSlopeMsPerMinute, p.latency.size(), markers.size());
  return out.good();
}

}  // namespace scream::bench
