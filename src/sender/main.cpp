// scream-send: Linux user-mode Scream sender (see --help).
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>

#include "sender/device_sources.h"
#include "sender/ivshmem_send.h"
#include "sender/marker_log.h"
#include "sender/options.h"
#include "sender/send_loop.h"
#include "sender/stdin_source.h"
#include "sender/tone_source.h"
#include "sender/wav_file.h"

namespace {

std::atomic<bool> gStop{false};

void onSignal(int) {
  gStop.store(true);
}

// No SA_RESTART: a blocking read of stdin or a sleep returns at once on SIGINT/SIGTERM.
void installSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = onSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

std::string addressText(const scream::driver::Ipv4Address& a) {
  return fmt::format("{}.{}.{}.{}", a.octets[0], a.octets[1], a.octets[2], a.octets[3]);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace scream::sender;
  auto log = spdlog::stderr_logger_st("scream-send");
  log->set_pattern("scream-send: %v");
  spdlog::set_default_logger(log);

  const ParseResult parsed = parseCommandLine(argc, argv);
  if (!parsed.run) return parsed.exitCode;
  const Options& o = parsed.options;
  spdlog::set_level(o.verbosity > 0 ? spdlog::level::debug : spdlog::level::info);

  std::string error;
  std::unique_ptr<Source> source;
  if (o.source == "tone") {
    source = std::make_unique<ToneSource>(o.format);
  } else if (o.source == "stdin") {
    source = std::make_unique<StdinSource>(o.format);
  } else if (o.source == "pulse" || o.source == "alsa" || o.source == "jack") {
    installSignalHandlers();  // already now: a signal must not skip removing the pulse sink
    source = openDeviceSource(o, gStop, &error);
  } else {
    source = WavFileSource::open(o.filePath, o.loop, &error);
  }
  if (!source) {
    spdlog::error("{}", error);
    return kExitUsage;
  }
  std::unique_ptr<MarkerLog> markers;
  if (!o.markerLog.empty()) {
    markers = MarkerLog::open(o.markerLog, &error);
    if (!markers) {
      spdlog::error("{}", error);
      return kExitUsage;
    }
  }
  if (!o.ivshmemPath.empty()) {
    installSignalHandlers();
    return runIvshmemSender(*source, o, gStop);
  }
  auto udp = UdpSender::open(o.udp, &error);
  if (!udp) {
    spdlog::error("{}", error);
    return kExitUsage;
  }

  const scream::protocol::Format& f = source->format();
  spdlog::info(
      "{} {} Hz {} bit {} ch mask {:#x} -> {}:{} ({}{}{}), burst {} ms{}{}", source->describe(),
      f.sampleRate, f.bitsPerSample, f.channels, f.channelMask, addressText(o.udp.destination),
      o.udp.port, o.udp.destination.isMulticast() ? "multicast" : "unicast",
      o.udp.interface.empty() ? "" : ", interface " + o.udp.interface,
      o.udp.ttl < 0 ? "" : fmt::format(", ttl {}", o.udp.ttl), o.burstMs,
      o.silenceThreshold ? fmt::format(", silence threshold {} frames", o.silenceThreshold) : "",
      o.clockPpm != 0 ? fmt::format(", clock {:+} ppm", o.clockPpm) : "");

  installSignalHandlers();
  LoopOptions loop;
  if (o.durationSeconds > 0) {
    loop.maxFrames = static_cast<uint64_t>(std::llround(o.durationSeconds * f.sampleRate));
  }
  loop.silenceThreshold = o.silenceThreshold;
  loop.burstMs = o.burstMs;
  loop.clockPpm = o.clockPpm;
  const LoopStats stats = runSendLoop(*source, *udp, markers.get(), loop, gStop);

  spdlog::debug("{} frames, {} datagrams, {} send errors, {} frames suppressed, {} markers{}",
                stats.frames, stats.datagrams, stats.sendErrors, stats.suppressedFrames,
                stats.markers, stats.sourceEnded ? ", end of input" : "");
  if (stats.sendErrors > 0) {
    spdlog::warn("{} datagrams could not be sent (last error: {})", stats.sendErrors,
                 std::strerror(udp->lastError()));
  }
  return 0;
}
