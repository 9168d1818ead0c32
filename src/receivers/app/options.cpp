#include "options.h"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace scream::receiver {

const char* outputName(OutputKind kind) {
  switch (kind) {
    case OutputKind::kDefault: return "default";
    case OutputKind::kRaw: return "raw";
    case OutputKind::kFile: return "file";
    case OutputKind::kPulse: return "pulse";
    case OutputKind::kAlsa: return "alsa";
    case OutputKind::kJack: return "jack";
  }
  return "?";
}

namespace {

// "raw", "pulse", "alsa", "jack" or "file:PATH.wav".
std::string parseOutput(const std::string& text, Options& o) {
  if (text == "raw") o.output = OutputKind::kRaw;
  else if (text == "pulse") o.output = OutputKind::kPulse;
  else if (text == "alsa") o.output = OutputKind::kAlsa;
  else if (text == "jack") o.output = OutputKind::kJack;
  else if (text.rfind("file:", 0) == 0 && text.size() > 5) {
    o.output = OutputKind::kFile;
    o.outputPath = text.substr(5);
  } else {
    return "unknown output '" + text + "': use pulse, alsa, jack, raw or file:PATH.wav";
  }
  return {};
}

std::string parseResampler(const std::string& text, Options& o) {
  if (text == "fastest") o.resampler = ResamplerQuality::kFastest;
  else if (text == "medium") o.resampler = ResamplerQuality::kMedium;
  else if (text == "best") o.resampler = ResamplerQuality::kBest;
  else if (text == "off") o.resampler = ResamplerQuality::kOff;
  else return "unknown resampler '" + text + "': use fastest, medium, best or off";
  return {};
}

std::string parseLatency(const std::string& text, Options& o) {
  if (text == "auto") {
    o.latencyMs = 0;
    return {};
  }
  try {
    size_t used = 0;
    const double ms = std::stod(text, &used);
    if (used == text.size() && ms >= 1 && ms <= 5000) {
      o.latencyMs = ms;
      return {};
    }
  } catch (const std::exception&) {
  }
  return "latency must be 'auto' or milliseconds between 1 and 5000, not '" + text + "'";
}

}  // namespace

ParseResult parseOptions(int argc, char** argv) {
  Options o;
  CLI::App app{
      "scream-recv: plays Scream network audio (from a Windows guest's Scream driver or "
      "scream-send) on PulseAudio, ALSA, JACK, a WAV file or stdout.\n"
      "Listens on multicast 239.255.77.77:4010 unless told otherwise.",
      "scream-recv"};
  std::string output, latency, resampler = "fastest";
  app.add_flag("-u,--unicast", o.unicast, "Receive unicast instead of multicast");
  app.add_option("-p,--port", o.port, "UDP port (default 4010)")->check(CLI::Range(1, 65535));
  app.add_option("-g,--group", o.group, "Multicast group (default 239.255.77.77)");
  app.add_option("-i,--interface", o.interface,
                 "Interface name or IPv4 address: multicast join interface, or unicast bind address");
  app.add_option("-m,--ivshmem", o.ivshmemPath, "Read from IVSHMEM shared memory at PATH instead of the network");
  app.add_option("-o,--output", output,
                 "Output: pulse, alsa, jack, raw (PCM to stdout) or file:PATH.wav "
                 "(default: the first sound server or device that answers)");
  app.add_option("-d,--device", o.alsaDevice, "ALSA device (default 'default')");
  app.add_option("-s,--sink", o.pulseSink, "PulseAudio sink (default: the server's default sink)");
  app.add_option("-n,--name", o.name, "Stream name (PulseAudio) or client name (JACK)");
  app.add_option("-t", latency,
                 "Pin the target latency to MS milliseconds (upstream's flag; without it the "
                 "target adapts, starting at 4 payloads)");
  app.add_option("--latency", latency, "Target latency: auto (default) or MS to pin it");
  app.add_option("-l,--max-latency", o.maxLatencyMs, "Upper bound of the adaptive target in ms (default 100)")
      ->check(CLI::Range(5.0, 5000.0));
  app.add_flag("-c,--no-autoconnect", o.noAutoconnect, "JACK: do not connect the output ports");
  app.add_flag("-v,--verbose", o.verbosity, "More log output (repeat for more)");
  app.add_option("--source", o.source,
                 "Only play this sender, ADDR or ADDR:PORT (default: lock to the first sender)");
  app.add_option("--resampler", resampler,
                 "Drift resampler quality: fastest (default), medium, best, or off (no drift "
                 "compensation)");
  app.add_option("--stats", o.statsSeconds, "Print a stats line every SECONDS (default 10 when given without a value)")
      ->expected(0, 1)
      ->default_str("10")
      ->check(CLI::Range(0.1, 86400.0));
  app.add_option("--idle-timeout", o.idleTimeoutSeconds,
                 "Seconds of silence from the locked sender before another may take over (default 5)")
      ->check(CLI::Range(0.1, 86400.0));
  app.add_option("--rejoin", o.rejoinSeconds,
                 "Re-join the multicast group every SECONDS so IGMP-snooping switches keep "
                 "forwarding; 0 = never (default 60)")
      ->check(CLI::Range(0.0, 86400.0));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return {std::nullopt, code == 0 ? 0 : 2};
  }
  std::string error;
  if (!output.empty()) error = parseOutput(output, o);
  if (error.empty() && !latency.empty()) error = parseLatency(latency, o);
  if (error.empty()) error = parseResampler(resampler, o);
  if (error.empty() && app.count("--stats") > 0 && o.statsSeconds == 0) o.statsSeconds = 10;
  if (!error.empty()) {
    std::fprintf(stderr, "scream-recv: %s\nRun with --help for more information.\n", error.c_str());
    return {std::nullopt, 2};
  }
  return {o, 0};
}

}  // namespace scream::receiver
