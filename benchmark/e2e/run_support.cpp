#include "run_support.h"

#include <cstdio>

#include "support/test_sender.h"

namespace scream::bench {

namespace {
constexpr int kFirstBytesTimeoutMs = 5000;
}

double startRecording(testing::PulseRecorder& recorder) {
  std::string error;
  const int64_t start = testing::monotonicNs();
  if (!recorder.start(&error)) {
    std::fprintf(stderr, "recorder: %s\n", error.c_str());
    return -1;
  }
  if (!recorder.waitForData(kFirstBytesTimeoutMs)) {
    std::fprintf(stderr, "recorder: no data within %d ms\n", kFirstBytesTimeoutMs);
    return -1;
  }
  return static_cast<double>(testing::monotonicNs() - start) * 1e-6;
}

Recording recordingOf(const testing::PulseRecorder& recorder) {
  return {recorder.channel(0), recorder.channel(1), recorder.rate(), recorder.timeline()};
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\', out += ch;
    else if (ch == '\n') out += "\\n";
    else if (static_cast<unsigned char>(ch) < 0x20) out += ' ';
    else out += ch;
  }
  return out + "\"";
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string jsonSeries(const std::vector<LatencyPoint>& points) {
  std::string out = "[";
  char item[64];
  for (size_t i = 0; i < points.size(); ++i) {
    std::snprintf(item, sizeof item, "%s[%.4f, %.3f]", i ? ", " : "", points[i].atSeconds, points[i].ms);
    out += item;
  }
  return out + "]";
}

}  // namespace scream::bench
