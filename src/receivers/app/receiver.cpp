#include "receiver.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <atomic>
#include <memory>
#include <thread>

#include "protocol/packet.h"
#include "receivers/core/engine.h"
#include "receivers/core/source_filter.h"
#include "receivers/core/thread_priority.h"
#include "receivers/core/udp_input.h"
#include "receivers/file/file_sink.h"
#include "receivers/pulse/pulse_probe.h"
#include "receivers/pulse/pulse_sink.h"
#include "receivers/raw/raw_output.h"
#include "stats_report.h"

namespace scream::receiver {

namespace {

constexpr int kReceiveTimeoutMs = 50;
constexpr double kMalformedReportSeconds = 10;

int64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Signals are taken by one thread with sigwait(); the loop polls these flags between batches.
struct SignalFlags {
  std::atomic<bool> stop{false};
  std::atomic<bool> printStats{false};
  std::atomic<int> lastSignal{0};
};

std::thread startSignalThread(SignalFlags& flags, const sigset_t& set) {
  return std::thread([&flags, set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      flags.lastSignal = sig;
      if (sig == SIGUSR1) {
        flags.printStats = true;
      } else if (sig == SIGINT || sig == SIGTERM) {
        flags.stop = true;
        return;
      }  // SIGHUP: reload arrives with the daemon issue; ignored until then.
    }
  });
}

// The one place an output is chosen. Sinks not built yet say so.
std::unique_ptr<Sink> makeSink(const Options& o, std::string* error) {
  auto pulse = [&o] {
    PulseSinkConfig config;
    config.sink = o.pulseSink;
    config.streamName = o.name;
    return std::make_unique<PulseSink>(config);
  };
  switch (o.output) {
    case OutputKind::kFile: return std::make_unique<FileSink>(o.outputPath);
    case OutputKind::kPulse: return pulse();
    case OutputKind::kAlsa:
    case OutputKind::kJack:
      *error = std::string("output '") + outputName(o.output) +
               "' is not built into this scream-recv yet; available outputs: pulse, raw, "
               "file:PATH.wav";
      return nullptr;
    case OutputKind::kDefault:
      // A short probe: with -o pulse the sink waits for the server instead.
      if (pulseServerAnswers(1000)) {
        spdlog::info("no -o given: using PulseAudio at {}", pulseServerAddress());
        return pulse();
      }
      *error = "no output given (-o) and no PulseAudio server answers at " + pulseServerAddress() +
               "; choose one with -o pulse (waits for the server), -o raw (PCM to stdout) or "
               "-o file:PATH.wav";
      return nullptr;
    case OutputKind::kRaw: break;
  }
  return nullptr;
}

}  // namespace

int runReceiver(const Options& o) {
  if (!o.ivshmemPath.empty()) {
    spdlog::error("IVSHMEM input (-m) is not built into this scream-recv yet");
    return 2;
  }
  std::optional<SourceAddress> pinned;
  if (!o.source.empty()) {
    pinned = SourceAddress::parse(o.source);
    if (!pinned) {
      spdlog::error("--source '{}' is not an IPv4 address or ADDR:PORT", o.source);
      return 2;
    }
  }
  const bool raw = o.output == OutputKind::kRaw;
  std::string error;
  std::unique_ptr<Sink> sink = raw ? nullptr : makeSink(o, &error);
  if (!raw && !sink) {
    spdlog::error("{}", error);
    return 2;
  }

  // Block the signals before any thread starts, so only the signal thread receives them.
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGUSR1, SIGHUP}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);  // raw output: a closed pipe is an error return, not a kill

  InputConfig input;
  input.multicast = !o.unicast;
  input.group = o.group;
  input.port = o.port;
  input.interface = o.interface;
  input.rejoinSeconds = o.rejoinSeconds;
  std::unique_ptr<UdpInput> udp = UdpInput::open(input, &error);
  if (!udp) {
    spdlog::error("{}", error);
    return 1;
  }
  spdlog::info("listening on {}; output {}", udp->describe(),
               raw ? std::string("raw (stdout)") : sink->describe());

  Stats stats;
  EngineConfig engineConfig;
  engineConfig.quality = o.resampler;
  engineConfig.latencyMs = o.latencyMs;
  engineConfig.maxLatencyMs = o.maxLatencyMs;
  std::unique_ptr<Engine> engine = raw ? nullptr : std::make_unique<Engine>(engineConfig, *sink, stats);
  RawOutput rawOutput;
  SourceFilter filter(pinned, static_cast<int64_t>(o.idleTimeoutSeconds * 1e9));

  SignalFlags flags;
  std::thread signals = startSignalThread(flags, set);
  std::string why;
  if (!raiseThreadPriority(kNetworkThreadPriority, &why)) {
    spdlog::debug("network thread: no real-time priority ({})", why);
  }

  bool outputBroken = false;
  auto onDatagram = [&](const Datagram& d) {
    // Cannot happen with the default 64 KiB slots (no IPv4 UDP datagram is larger); a cut-off
    // datagram would otherwise be played with its tail missing.
    if (d.truncated) return;
    protocol::Packet packet;
    const protocol::PacketError e = protocol::parsePacket(d.data, d.size, &packet);
    if (e != protocol::PacketError::kOk) {
      stats.malformed[static_cast<size_t>(e)].fetch_add(1, std::memory_order_relaxed);
      return;
    }
    switch (filter.check(d.from, d.arrivalNs)) {
      case SourceFilter::Verdict::kOtherSource:
        stats.otherSourcePackets.fetch_add(1, std::memory_order_relaxed);
        return;
      case SourceFilter::Verdict::kSwitched:
        spdlog::info("playing sender {}", d.from.toString());
        break;
      case SourceFilter::Verdict::kAccept: break;
    }
    if (engine) {
      engine->onPacket(packet, d.arrivalNs);
    } else if (!outputBroken) {
      stats.packets.fetch_add(1, std::memory_order_relaxed);
      outputBroken = !rawOutput.onPacket(packet);
    }
  };

  const int64_t statsIntervalNs = static_cast<int64_t>(o.statsSeconds * 1e9);
  int64_t nextStatsNs = monotonicNs() + statsIntervalNs;
  int64_t nextMalformedNs = monotonicNs() + static_cast<int64_t>(kMalformedReportSeconds * 1e9);
  StatsSnapshot malformedBase = StatsSnapshot::take(stats);
  int exitCode = 0;

  while (!flags.stop.load()) {
    if (udp->receive(kReceiveTimeoutMs, onDatagram) < 0) {
      spdlog::error("network input failed: {}", udp->lastError());
      exitCode = 1;
      break;
    }
    if (outputBroken) {
      spdlog::info("stdout closed; exiting");
      break;
    }
    const int64_t now = monotonicNs();
    if (engine) engine->poll(now);
    const auto locked = filter.locked();
    const std::string source = locked ? locked->toString() : std::string();
    if (flags.printStats.exchange(false) || (statsIntervalNs > 0 && now >= nextStatsNs)) {
      spdlog::info("stats: {}", formatStatsLine(source, engine ? engine->status() : EngineStatus{},
                                                StatsSnapshot::take(stats), engine != nullptr));
      if (statsIntervalNs > 0) nextStatsNs = now + statsIntervalNs;
    }
    if (now >= nextMalformedNs) {
      const StatsSnapshot snap = StatsSnapshot::take(stats);
      const std::string text = formatMalformed(malformedBase, snap, kMalformedReportSeconds);
      if (!text.empty()) spdlog::warn("{}", text);
      malformedBase = snap;
      nextMalformedNs = now + static_cast<int64_t>(kMalformedReportSeconds * 1e9);
    }
  }

  if (engine) engine->shutdown();  // fade out, finalize the output
  if (!flags.stop.load()) pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  spdlog::info("stopped ({} packets)", stats.packets.load());
  return exitCode;
}

}  // namespace scream::receiver
