#include "receiver.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "protocol/packet.h"
#include "receivers/core/engine.h"
#include "receivers/core/ivshmem_input.h"
#include "receivers/core/source_filter.h"
#include "receivers/core/thread_priority.h"
#include "receivers/core/udp_input.h"
#include "receivers/alsa/alsa_sink.h"
#include "receivers/file/file_sink.h"
#include "receivers/jack/jack_sink.h"
#include "receivers/pulse/pulse_probe.h"
#include "receivers/pulse/pulse_sink.h"
#include "receivers/raw/raw_output.h"
#include "stats_report.h"
#include "systemd_notify.h"
#include "receivers/core/monotonic_clock.h"

namespace scream::receiver {

namespace {

constexpr int kReceiveTimeoutMs = 50;
constexpr double kMalformedReportSeconds = 10;
constexpr double kStatusSeconds = 1;      // how often STATUS= may change for systemd
constexpr double kNetworkRetrySeconds = 2;  // network input not openable yet (interface not up)

// Signals are taken by one thread with sigwait(); the loop polls these flags between batches.
struct SignalFlags {
  std::atomic<bool> stop{false};
  std::atomic<bool> printStats{false};
  std::atomic<bool> reload{false};
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
      } else if (sig == SIGHUP) {
        flags.reload = true;
      } else if (sig == SIGINT || sig == SIGTERM) {
        flags.stop = true;
        return;
      }
    }
  });
}

// The one place an output is chosen.
std::unique_ptr<Sink> makeSink(const Options& o, std::string* error) {
  auto pulse = [&o] {
    PulseSinkConfig config;
    config.sink = o.pulseSink;
    config.streamName = o.name;
    return std::make_unique<PulseSink>(config);
  };
  auto alsa = [&o] {
    AlsaSinkConfig config;
    config.device = o.alsaDevice;
    config.targetLatencyMs = o.latencyMs;
    return std::make_unique<AlsaSink>(config);
  };
  switch (o.output) {
    case OutputKind::kFile: return std::make_unique<FileSink>(o.outputPath);
    case OutputKind::kPulse: return pulse();
    case OutputKind::kJack: {
      JackSinkConfig config;
      config.clientName = o.name;
      config.autoconnect = !o.noAutoconnect;
      return std::make_unique<JackSink>(config);
    }
    case OutputKind::kAlsa: return alsa();
    case OutputKind::kDefault:
      // Short probes: with an explicit -o the sink waits for its server or device instead.
      if (pulseServerAnswers(1000)) {
        spdlog::info("no -o given: using PulseAudio at {}", pulseServerAddress());
        return pulse();
      }
      if (alsaPlaybackDeviceOpens(o.alsaDevice)) {
        spdlog::info("no -o given and no PulseAudio server answers: using ALSA device '{}'",
                     o.alsaDevice);
        return alsa();
      }
      *error = "no output given (-o), no PulseAudio server answers at " + pulseServerAddress() +
               " and ALSA device '" + o.alsaDevice +
               "' does not open; choose one with -o pulse (waits for the server), -o alsa -d "
               "DEVICE, -o jack, -o raw (PCM to stdout) or -o file:PATH.wav";
      return nullptr;
    case OutputKind::kRaw: break;
  }
  return nullptr;
}

// Opens the network input, retrying while it cannot be opened yet (interface not up, address not
// assigned yet) so a service started before the network recovers on its own. Returns nullptr
// only when told to stop while waiting.
std::unique_ptr<UdpInput> openNetworkInput(const InputConfig& input, const SignalFlags& flags,
                                           ServiceNotifier& notifier) {
  std::string error, reported;
  for (;;) {
    std::unique_ptr<UdpInput> udp = UdpInput::open(input, &error);
    if (udp) {
      if (!reported.empty()) spdlog::info("network input is up");
      return udp;
    }
    if (error != reported) {
      spdlog::warn("{}; retrying every {:.0f} s", error, kNetworkRetrySeconds);
      reported = error;
    }
    notifier.status("waiting for the network: " + error);
    const int64_t retryNs = monotonicNs() + static_cast<int64_t>(kNetworkRetrySeconds * 1e9);
    while (monotonicNs() < retryNs) {
      if (flags.stop.load()) return nullptr;
      const timespec pause{0, kReceiveTimeoutMs * 1'000'000};
      nanosleep(&pause, nullptr);
      notifier.keepAlive(monotonicNs());
    }
  }
}

// systemd's STATUS= line: what is playing, or what the receiver waits for.
std::string serviceStatus(const UdpInput& udp, const std::string& source, const EngineStatus& e,
                          bool engineUsed, const std::string& output) {
  std::string text;
  if (!udp.rejoinError().empty()) text = "multicast join failing (" + udp.rejoinError() + "); ";
  if (source.empty()) {
    return text + "waiting for a sender on " + udp.describe() + "; output " + output;
  }
  text += "playing " + source;
  if (engineUsed && e.hasStream) {
    text += fmt::format(": {} Hz {} bit {} ch, latency {:.0f} ms", e.format.sampleRate,
                        e.format.bitsPerSample, e.format.channels, e.latencyMs);
  }
  return text + "; output " + output;
}

// SIGHUP: reads the configuration again (the command line still wins) and applies what can
// change without touching the stream; names what needs a restart.
void reloadOptions(Options& running, int64_t& statsIntervalNs) {
  ParseResult loaded = parseArguments(running.arguments);
  if (!loaded.options) {
    spdlog::error("reload failed, keeping the running configuration: {}", loaded.message);
    return;
  }
  const Options& next = *loaded.options;
  if (next.verbosity != running.verbosity) {
    applyVerbosity(next.verbosity);
    running.verbosity = next.verbosity;
  }
  if (next.statsSeconds != running.statsSeconds) {
    running.statsSeconds = next.statsSeconds;
    statsIntervalNs = static_cast<int64_t>(next.statsSeconds * 1e9);
  }
  const std::vector<std::string> pending = optionsNeedingRestart(running, next);
  const std::string& file = next.configPath.empty() ? running.configPath : next.configPath;
  spdlog::info("reloaded {}: verbosity {}, stats every {}", file.empty() ? "(no config file)" : file,
               running.verbosity,
               running.statsSeconds > 0 ? fmt::format("{:g} s", running.statsSeconds) : "off");
  if (!pending.empty()) {
    spdlog::warn("reload: {} changed; restart scream-recv to apply", fmt::join(pending, ", "));
  }
}

}  // namespace

void applyVerbosity(int verbosity) {
  spdlog::set_level(verbosity >= 2   ? spdlog::level::trace
                    : verbosity == 1 ? spdlog::level::debug
                                     : spdlog::level::info);
}

int runReceiver(const Options& o) {
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
  SignalFlags flags;
  std::thread signals = startSignalThread(flags, set);
  auto stopSignalThread = [&] {
    if (!flags.stop.load()) pthread_kill(signals.native_handle(), SIGTERM);
    signals.join();
  };
  ServiceNotifier notifier;
  notifier.ready("starting");
  // -m PATH: chunks from shared memory instead of datagrams; the rest of the loop is the same.
  std::unique_ptr<IvshmemInput> shm =
      o.ivshmemPath.empty() ? nullptr : std::make_unique<IvshmemInput>(o.ivshmemPath);
  std::unique_ptr<UdpInput> udp = shm ? nullptr : openNetworkInput(input, flags, notifier);
  if (!shm && !udp) {
    notifier.stopping();
    stopSignalThread();
    spdlog::info("stopped while waiting for the network");
    return 0;
  }
  const std::string outputText = raw ? std::string("raw (stdout)") : sink->describe();
  spdlog::info("listening on {}; output {}", shm ? shm->describe() : udp->describe(), outputText);

  Stats stats;
  EngineConfig engineConfig;
  engineConfig.quality = o.resampler;
  engineConfig.latencyMs = o.latencyMs;
  engineConfig.maxLatencyMs = o.maxLatencyMs;
  std::unique_ptr<Engine> engine = raw ? nullptr : std::make_unique<Engine>(engineConfig, *sink, stats);
  RawOutput rawOutput;
  SourceFilter filter(pinned, static_cast<int64_t>(o.idleTimeoutSeconds * 1e9));

  std::string why;
  if (!raiseThreadPriority(kNetworkThreadPriority, &why)) {
    spdlog::debug("network thread: no real-time priority ({})", why);
  }

  bool outputBroken = false;
  auto onPacket = [&](const protocol::Packet& packet, int64_t arrivalNs) {
    if (engine) {
      engine->onPacket(packet, arrivalNs);
    } else if (!outputBroken) {
      stats.packets.fetch_add(1, std::memory_order_relaxed);
      outputBroken = !rawOutput.onPacket(packet);
    }
  };
  const SourceFilter::Play play = onPacket;  // built once, not per datagram
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
    switch (filter.check(d.from, packet, d.arrivalNs, play)) {
      case SourceFilter::Verdict::kOtherSource:
        stats.otherSourcePackets.fetch_add(1, std::memory_order_relaxed);
        return;
      case SourceFilter::Verdict::kLocked:
      case SourceFilter::Verdict::kSwitched:
        spdlog::info("playing sender {}", d.from.toString());
        return;
      case SourceFilter::Verdict::kAccept:
      case SourceFilter::Verdict::kPending: return;
    }
  };

  Options running = o;  // what SIGHUP may change
  int64_t statsIntervalNs = static_cast<int64_t>(o.statsSeconds * 1e9);
  int64_t nextStatusNs = 0;
  int64_t nextStatsNs = monotonicNs() + statsIntervalNs;
  int64_t nextMalformedNs = monotonicNs() + static_cast<int64_t>(kMalformedReportSeconds * 1e9);
  StatsSnapshot malformedBase = StatsSnapshot::take(stats);
  int exitCode = 0;

  while (!flags.stop.load()) {
    const int received = shm ? shm->receive(kReceiveTimeoutMs, onPacket)
                             : udp->receive(kReceiveTimeoutMs, onDatagram);
    if (shm) {
      const std::string notice = shm->takeNotice();
      if (!notice.empty()) spdlog::info("{}", notice);
    }
    if (received < 0 && udp) {  // the shared-memory input never fails; it waits
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
    const std::string source = shm ? shm->describe() : locked ? locked->toString() : std::string();
    notifier.keepAlive(now);
    if (now >= nextStatusNs) {
      notifier.status(!udp ? "reading " + shm->describe() + "; output " + outputText
                           : serviceStatus(*udp, source, engine ? engine->status() : EngineStatus{},
                                           engine != nullptr, outputText));
      nextStatusNs = now + static_cast<int64_t>(kStatusSeconds * 1e9);
    }
    if (flags.reload.exchange(false)) {
      notifier.reloading();
      reloadOptions(running, statsIntervalNs);
      nextStatsNs = now + statsIntervalNs;
      notifier.reloaded();
    }
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

  notifier.stopping();
  if (engine) engine->shutdown();  // fade out, finalize the output
  stopSignalThread();
  spdlog::info("stopped ({} packets)", stats.packets.load());
  return exitCode;
}

}  // namespace scream::receiver
