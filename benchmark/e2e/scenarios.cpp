#include "scenarios.h"

namespace scream::bench {

namespace {
Segment whole(std::vector<std::string> senderArgs = {}) { return {1.0, 0, std::move(senderArgs)}; }
}  // namespace

const std::vector<Scenario>& allScenarios() {
  static const std::vector<Scenario> scenarios = {
      {"clean", "no impairment", {}, {whole()}},
      {"jitter20", "uniform 0-20 ms extra delay, order kept", {"--jitter-ms", "20"}, {whole()}},
      {"jitter-bursty", "2 ms jitter, bursts of 50 datagrams with 0-40 ms (0.5 %/datagram)",
       {"--jitter-ms", "2", "--burst-jitter-ms", "40", "--burst-jitter-pct", "0.5"},
       {whole()}},
      {"loss1", "1 % random loss", {"--loss-pct", "1"}, {whole()}},
      {"loss-burst", "bursts of 5 lost datagrams (0.2 %/datagram)",
       {"--burst-loss-pct", "0.2", "--burst-loss-length", "5"}, {whole()}},
      {"stall80", "nothing arrives for 80 ms every 5 s, then all at once",
       {"--stall-ms", "80", "--stall-every-ms", "5000"}, {whole()}},
      {"ppm+1000", "sender clock 1000 ppm fast", {}, {whole({"--clock-ppm", "1000"})}},
      {"ppm-1000", "sender clock 1000 ppm slow", {}, {whole({"--clock-ppm", "-1000"})}},
      {"reorder2", "2 % of datagrams held back 4 ms and overtaken", {"--reorder-pct", "2"},
       {whole()}},
      {"dup1", "1 % of datagrams arrive twice", {"--duplicate-pct", "1"}, {whole()}},
      {"silence3s", "3 s without datagrams mid-stream (a suppressing sender), then resume", {},
       {{0.5, 0, {"--silence-threshold", "480"}}, {0.5, 3.0, {"--silence-threshold", "480"}}}},
      {"format-switch", "48 kHz/16 bit, then 44.1 kHz/24 bit without a pause", {},
       {{0.5, 0, {"--rate", "48000", "--bits", "16"}}, {0.5, 0, {"--rate", "44100", "--bits", "24"}}}},
      // The device's clock off the sender's with a perfect network (issue 16): the receiver must
      // follow the device, not CLOCK_MONOTONIC.
      {"device+300", "device clock 300 ppm fast (PulseAudio under faketime x1.0003)", {}, {whole()},
       Kind::kRun, 1.0003},
      {"device-300", "device clock 300 ppm slow (PulseAudio under faketime x0.9997)", {}, {whole()},
       Kind::kRun, 0.9997},
      {"drift-soak", "sender clock 300 ppm fast, 2 ms jitter, soak length", {"--jitter-ms", "2"},
       {whole({"--clock-ppm", "300"})}, Kind::kSoak},
      {"soak-ppm+1000", "sender clock 1000 ppm fast, soak length", {},
       {whole({"--clock-ppm", "1000"})}, Kind::kSoak},
      {"soak-ppm-1000", "sender clock 1000 ppm slow, soak length", {},
       {whole({"--clock-ppm", "-1000"})}, Kind::kSoak},
      {"soak-device+300", "device clock 300 ppm fast, soak length", {}, {whole()}, Kind::kSoak, 1.0003},
      {"soak-device-300", "device clock 300 ppm slow, soak length", {}, {whole()}, Kind::kSoak, 0.9997},
      // The instrument's own check: the tone played straight into the sink, paced by the sink.
      {"calibrate", "known path: flat latency by construction, device as is", {}, {whole()},
       Kind::kCalibration},
      {"calibrate-device+300", "known path, device clock 300 ppm fast", {}, {whole()},
       Kind::kCalibration, 1.0003},
      {"calibrate-device-300", "known path, device clock 300 ppm slow", {}, {whole()},
       Kind::kCalibration, 0.9997},
  };
  return scenarios;
}

double senderClockPpm(const Scenario& scenario) {
  if (scenario.segments.empty()) return 0;
  const auto& args = scenario.segments.front().senderArgs;
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == "--clock-ppm") return std::stod(args[i + 1]);
  return 0;
}

const Scenario* findScenario(const std::string& name) {
  for (const Scenario& s : allScenarios())
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace scream::bench
