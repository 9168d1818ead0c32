// scream-bench-run: the end-to-end quality benchmark of issues 8 and 16. A private PulseAudio
// server with a null sink (restarted under libfaketime when a scenario wants the device clock
// off) serves the scenarios; for every scenario and mode it records the sink's monitor (each read
// timestamped, test/integration/pulse/pulse_recorder), waits for the recorder's first bytes,
// starts `scream-recv -o pulse`, the impairment relay and `scream-send --source tone` through
// it, then scores the recording (score.h) and writes one JSON file per run. Mode "default" is the
// receiver as shipped, mode "resampler-off" the baseline without drift control. Calibration
// scenarios play the known path instead (calibrate.h). scripts/bench adds machine info, the
// summary table and the plots.
#include <CLI/CLI.hpp>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "calibrate.h"
#include "pulse_recorder.h"
#include "pulse_server.h"
#include "receiver_fixture.h"
#include "run_support.h"
#include "scenarios.h"
#include "score.h"
#include "support/machine_stalls.h"
#include "support/process.h"
#include "support/test_sender.h"

namespace scream::bench {
namespace {

using testing::monotonicNs;
using testing::Process;

void sleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

struct ProcessCost {
  double cpuSeconds = 0;  // utime + stime
  long peakRssKiB = 0;    // VmHWM
};

// Read while the process still runs: after it exits /proc no longer has it.
ProcessCost readCost(pid_t pid) {
  ProcessCost c;
  const std::string stat = testing::readFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 0; fields >> field; ++i) {  // field 3 (state) is i == 0
      if (i == 11) utime = std::stoull(field);
      if (i == 12) stime = std::stoull(field);
    }
    c.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::istringstream status(testing::readFile("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) c.peakRssKiB = std::atol(line.c_str() + 6);
  return c;
}

std::string lastLineWith(const std::string& log, const std::string& what) {
  std::string found, line;
  std::istringstream in(log);
  while (std::getline(in, line))
    if (line.find(what) != std::string::npos) found = line;
  return found;
}

struct Paths {
  std::string recv, send, relay, outDir;
};

struct RunConfig {
  double seconds;
  uint64_t seed;
  std::vector<std::string> recvArgs;
  std::vector<std::string> recvEnv;  // NAME=VALUE for scream-recv only; none by default
};

// Sets NAME=VALUE pairs for as long as it lives (children started meanwhile inherit them).
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::vector<std::string>& pairs) {
    for (const auto& pair : pairs) {
      const size_t eq = pair.find('=');
      if (eq == std::string::npos) continue;
      names_.push_back(pair.substr(0, eq));
      setenv(names_.back().c_str(), pair.c_str() + eq + 1, 1);
    }
  }
  ~ScopedEnv() {
    for (const auto& name : names_) unsetenv(name.c_str());
  }

 private:
  std::vector<std::string> names_;
};

bool runOne(const Scenario& sc, const std::string& mode, const RunConfig& cfg, const Paths& paths,
            testing::PulseServer& server) {
  const std::string tag = sc.name + "__" + mode;
  std::fprintf(stderr, "== %s (%.0f s)\n", tag.c_str(), cfg.seconds);
  // The VM stalls now and then (every thread, ~30 ms; test/support/machine_stalls.h): each glitch
  // is reported with whether one explains it, so a table is not read as the receiver's alone.
  testing::MachineStallProbe probe;
  testing::PulseRecorder recorder(server.sinkName() + ".monitor", 48000, "front-left,front-right");
  const double firstBytesMs = startRecording(recorder);
  if (firstBytesMs < 0) return false;
  // The receiver as a user runs it: no PULSE_LATENCY_MSEC unless --recv-env asks for one.
  std::vector<std::string> recvArgs = {"-o", "pulse", "-n", "bench", "--stats", "1"};
  if (mode == "resampler-off") recvArgs.insert(recvArgs.end(), {"--resampler", "off"});
  recvArgs.insert(recvArgs.end(), cfg.recvArgs.begin(), cfg.recvArgs.end());
  testing::Receiver receiver = [&] {
    const ScopedEnv env(cfg.recvEnv);
    return testing::startReceiver("bench-" + sc.name, recvArgs);
  }();
  if (!receiver.process || !receiver.process->running()) {
    std::fprintf(stderr, "scream-recv did not start:\n%s\n", receiver.log().c_str());
    return false;
  }
  const std::string dir = receiver.dir;
  const uint16_t relayPort = testing::freeUdpPort();
  std::vector<std::string> relayArgv = {paths.relay, "--listen", std::to_string(relayPort), "--to",
                                        std::to_string(receiver.port), "--seed",
                                        std::to_string(cfg.seed), "--stats-out", dir + "/relay.json"};
  relayArgv.insert(relayArgv.end(), sc.relayArgs.begin(), sc.relayArgs.end());
  Process relay(relayArgv, dir + "/relay.out", dir + "/relay.err");
  sleepMs(200);

  std::vector<PlayedSpan> spans;
  std::vector<SentMarker> markers;
  int senderFailures = 0;
  for (size_t i = 0; i < sc.segments.size(); ++i) {
    const Segment& seg = sc.segments[i];
    if (seg.gapBeforeSeconds > 0) sleepMs(static_cast<int>(seg.gapBeforeSeconds * 1000));
    const double seconds = cfg.seconds * seg.share;
    const std::string log = dir + "/markers" + std::to_string(i) + ".jsonl";
    std::vector<std::string> argv = {paths.send, "--source", "tone", "--dest", "127.0.0.1", "--port",
                                     std::to_string(relayPort), "--duration",
                                     std::to_string(seconds), "--marker-log", log};
    argv.insert(argv.end(), seg.senderArgs.begin(), seg.senderArgs.end());
    const int64_t start = monotonicNs();
    Process sender(argv, dir + "/send" + std::to_string(i) + ".out",
                   dir + "/send" + std::to_string(i) + ".err");
    const int code = sender.wait(static_cast<int>(seconds * 1000) + 10000);
    if (code != 0) ++senderFailures, sender.signal(SIGKILL), sender.wait(2000);
    spans.push_back({start, monotonicNs()});
    for (const SentMarker& m : readMarkerLog(log)) markers.push_back(m);
  }
  sleepMs(700);  // the receiver's buffer plays out
  const ProcessCost cost = readCost(receiver.process->pid());
  recorder.stop();
  relay.signal(SIGTERM);
  relay.wait(3000);
  const int recvExit = receiver.stop();
  const std::string recvLog = receiver.log();

  const Recording recording = recordingOf(recorder);
  const Score s = score(recording, spans, markers);
  const double senderPpm = senderClockPpm(sc);
  const auto stalls = probe.stalls();  // (stops the probe)
  const testing::GlitchAttribution stalled = testing::attributeGlitches(
      s.glitches, stalls, [&recording](double sec) { return recording.timeline.playedNs(sec * recording.rate); });
  double stalledMs = 0;
  for (const auto& g : stalled.duringStalls) stalledMs += g.durationMs;

  std::ofstream out(paths.outDir + "/" + tag + ".json");
  out << "{\n  \"scenario\": " << jsonString(sc.name) << ",\n  \"mode\": " << jsonString(mode)
      << ",\n  \"description\": " << jsonString(sc.description)
      << ",\n  \"relay_args\": " << jsonString(join(sc.relayArgs))
      << ",\n  \"receiver_args\": " << jsonString(join(recvArgs))
      << ",\n  \"receiver_env\": " << jsonString(join(cfg.recvEnv))
      << ",\n  \"seconds\": " << cfg.seconds << ",\n  \"seed\": " << cfg.seed
      << ",\n  \"analysed_seconds\": " << s.analysedSeconds
      << ",\n  \"glitch_events\": " << s.glitches.events
      << ",\n  \"glitch_ms\": " << s.glitches.glitchMs
      << ",\n  \"glitch_events_in_machine_stalls\": " << stalled.duringStalls.size()
      << ",\n  \"glitch_ms_in_machine_stalls\": " << stalledMs
      << ",\n  \"machine_stalls\": " << stalls.size()
      << ",\n  \"machine_stall_windows_s\": " << stalled.windowSeconds
      << ",\n  \"machine_stall_probe_realtime\": " << (probe.realtime() ? "true" : "false")
      << ",\n  \"tone_rms_dbfs\": " << s.glitches.toneRmsDbfs
      << ",\n  \"markers_sent\": " << s.markersSent
      << ",\n  \"markers_matched\": " << s.latency.size()
      << ",\n  \"latency_median_ms\": " << s.medianMs << ",\n  \"latency_p95_ms\": " << s.p95Ms
      << ",\n  \"latency_max_ms\": " << s.maxMs
      << ",\n  \"latency_slope_ms_per_min\": " << s.slopeMsPerMinute
      << ",\n  \"device_clock_speed\": " << sc.deviceSpeed
      << ",\n  \"device_clock_ppm\": " << s.deviceClockPpm
      << ",\n  \"sender_clock_ppm\": " << senderPpm
      << ",\n  \"device_minus_sender_ppm\": " << s.deviceClockPpm - senderPpm
      << ",\n  \"recorder_first_bytes_ms\": " << firstBytesMs
      << ",\n  \"recorder_span_s\": " << recording.timeline.spanSeconds()
      << ",\n  \"receiver_cpu_s\": " << cost.cpuSeconds
      << ",\n  \"receiver_peak_rss_kib\": " << cost.peakRssKiB
      << ",\n  \"receiver_exit_code\": " << recvExit
      << ",\n  \"sender_failures\": " << senderFailures
      << ",\n  \"recorder_holes\": " << recorder.holes()
      << ",\n  \"receiver_last_stats\": " << jsonString(lastLineWith(recvLog, "target"))
      << ",\n  \"relay\": " << [&] {
           std::string r = testing::readFile(dir + "/relay.json");
           while (!r.empty() && (r.back() == '\n')) r.pop_back();
           return r.empty() ? std::string("null") : r;
         }()
      << ",\n  \"log_dir\": " << jsonString(dir)
      << ",\n  \"glitch_time_origin\": \"sender_start\",\n  \"glitches\": [";
  // Glitch starts on the latency series' time axis: seconds since the first sender started.
  const double senderStartInRecording =
      spans.empty() ? 0 : recording.timeline.frameAt(static_cast<double>(spans.front().startNs)) / recording.rate;
  for (size_t i = 0; i < s.glitches.list.size(); ++i)
    out << (i ? ", " : "") << "[" << s.glitches.list[i].startSeconds - senderStartInRecording
        << ", " << s.glitches.list[i].durationMs << "]";
  out << "],\n  \"glitches_in_machine_stalls\": [";
  for (size_t i = 0; i < stalled.duringStalls.size(); ++i)
    out << (i ? ", " : "") << "[" << stalled.duringStalls[i].startSeconds - senderStartInRecording << ", "
        << stalled.duringStalls[i].durationMs << "]";
  out << "],\n  \"latency\": " << jsonSeries(s.latency) << "\n}\n";
  std::fprintf(stderr, "   %zu of the glitches in machine stalls (%zu stalls of >= %.0f ms)\n",
               stalled.duringStalls.size(), stalls.size(), testing::MachineStallProbe::kStallMs);
  std::fprintf(stderr, "   glitches %zu (%.0f ms), latency median %.1f p95 %.1f max %.1f ms, slope %.2f ms/min, "
               "%zu/%zu markers, cpu %.2f s; device clock %+.1f ppm, sender %+.0f ppm: device - sender %+.1f ppm\n",
               s.glitches.events, s.glitches.glitchMs, s.medianMs, s.p95Ms, s.maxMs, s.slopeMsPerMinute,
               s.latency.size(), s.markersSent, cost.cpuSeconds, s.deviceClockPpm, senderPpm,
               s.deviceClockPpm - senderPpm);
  if (!out.good()) std::fprintf(stderr, "   could not write %s/%s.json\n", paths.outDir.c_str(), tag.c_str());
  return out.good();
}

}  // namespace
}  // namespace scream::bench

int main(int argc, char** argv) {
  using namespace scream::bench;
  Paths paths{SCREAM_RECV_PATH, SCREAM_SEND_PATH, SCREAM_RELAY_PATH, "."};
  std::vector<std::string> scenarios, modes = {"default", "resampler-off"};
  RunConfig cfg{30, 1, {}, {}};
  double soakSeconds = 600;
  bool soak = false, list = false;
  CLI::App app{"End-to-end quality benchmark: scream-send -> impairment relay -> scream-recv -o pulse"};
  app.add_option("--scenario", scenarios, "Scenarios to run (default: all but the soaks and calibrations)");
  app.add_option("--mode", modes, "default and/or resampler-off")->capture_default_str();
  app.add_option("--seconds", cfg.seconds, "Length of each scenario")->capture_default_str();
  app.add_flag("--soak", soak, "Also run the soaks");
  app.add_option("--soak-seconds", soakSeconds, "Length of a soak")->capture_default_str();
  app.add_option("--seed", cfg.seed, "Relay seed")->capture_default_str();
  app.add_option("--recv-arg", cfg.recvArgs, "Extra scream-recv argument (repeatable)");
  app.add_option("--recv-env", cfg.recvEnv,
                 "NAME=VALUE in scream-recv's environment, e.g. PULSE_LATENCY_MSEC=60 (repeatable; "
                 "none by default: the receiver runs as a user runs it)");
  app.add_option("--out-dir", paths.outDir, "Where the JSON files go")->capture_default_str();
  app.add_flag("--list", list, "List the scenarios and exit");
  CLI11_PARSE(app, argc, argv);

  std::vector<const Scenario*> chosen;
  for (const Scenario& s : allScenarios()) {
    if (list)
      std::printf("%-22s %s%s\n", s.name.c_str(), s.description.c_str(),
                  s.kind == Kind::kSoak ? " (--soak)" : s.kind == Kind::kCalibration ? " (by name)" : "");
    const bool named = std::find(scenarios.begin(), scenarios.end(), s.name) != scenarios.end();
    if (named || (s.kind == Kind::kSoak && soak) || (scenarios.empty() && s.kind == Kind::kRun))
      chosen.push_back(&s);
  }
  if (list) return 0;
  for (const auto& name : scenarios)
    if (!findScenario(name)) return std::fprintf(stderr, "unknown scenario %s\n", name.c_str()), 2;

  // Where the results go must exist before a run of many minutes, not be found missing after it.
  std::error_code made;
  std::filesystem::create_directories(paths.outDir, made);
  if (made || !std::filesystem::is_directory(paths.outDir))
    return std::fprintf(stderr, "cannot use --out-dir %s: %s\n", paths.outDir.c_str(),
                        made ? made.message().c_str() : "not a directory"), 2;

  unsetenv("PULSE_SINK");
  unsetenv("PULSE_LATENCY_MSEC");  // the receiver runs as a user runs it; --recv-env to experiment
  std::unique_ptr<scream::testing::PulseServer> server;  // one per device clock speed
  int failures = 0;
  for (const Scenario* s : chosen) {
    if (!server || server->clockSpeed() != s->deviceSpeed) {
      server.reset();
      server = std::make_unique<scream::testing::PulseServer>("bench", "rate=48000 channels=2",
                                                               s->deviceSpeed);
      if (!server->start()) return 1;
    }
    RunConfig c = cfg;
    if (s->kind == Kind::kSoak) c.seconds = soakSeconds;
    if (s->kind == Kind::kCalibration) {
      if (!runCalibration(*s, c.seconds, *server, paths.outDir)) ++failures;
      continue;
    }
    for (const auto& mode : modes)
      if (!runOne(*s, mode, c, paths, *server)) ++failures;
  }
  return failures ? 1 : 0;
}
