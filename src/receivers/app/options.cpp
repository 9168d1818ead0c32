#include "options.h"

#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>

#include "config_file.h"

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

bool isMulticastGroup(const std::string& text) {
  in_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1 && IN_MULTICAST(ntohl(address.s_addr));
}

// One CLI11 parser: the command line and every config-file value go through it, so a value is
// checked by the same rules wherever it was written.
struct CommandLine {
  Options o;
  CLI::App app{
      "scream-recv: plays Scream network audio (from a Windows guest's Scream driver or "
      "scream-send) on PulseAudio, ALSA, JACK, a WAV file or stdout.\n"
      "Listens on multicast 239.255.77.77:4010 unless told otherwise.\n"
      "Every long option can also be set in a TOML file (see scream-recv.toml(5)); flags win.",
      "scream-recv"};
  std::string output, latency, resampler = "fastest";

  CommandLine() {
    app.add_option("--config", o.configPath,
                   "Configuration file (default: $XDG_CONFIG_HOME/scream/scream-recv.toml, then "
                   "/etc/scream/scream-recv.toml, when they exist)");
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
  }

  // Parses `args` (without the program name); throws CLI::ParseError.
  void parse(std::vector<std::string> args) {
    std::reverse(args.begin(), args.end());  // CLI11 takes the vector last argument first
    app.parse(args);
  }

  // The conversions CLI11 does not do; returns an error text or "".
  std::string finish() {
    std::string error;
    if (!output.empty()) error = parseOutput(output, o);
    if (error.empty() && !latency.empty()) error = parseLatency(latency, o);
    if (error.empty()) error = parseResampler(resampler, o);
    if (error.empty() && !isMulticastGroup(o.group)) {
      error = "group '" + o.group + "' is not an IPv4 multicast address (224.0.0.0 to 239.255.255.255)";
    }
    if (error.empty() && app.count("--stats") > 0 && o.statsSeconds == 0) o.statsSeconds = 10;
    return error;
  }

  // Whether the command line set what config key `key` sets (-t is --latency's short twin).
  bool gave(const std::string& key) const {
    if (key == "latency" && app.count("-t") > 0) return true;
    const CLI::Option* option = app.get_option_no_throw("--" + key);
    return option && option->count() > 0;
  }
};

// The command-line words for one file entry. "--key=value" lets flags take true/false; an empty
// string has to be a separate word, which CLI11 reads as an empty value.
std::vector<std::string> entryArguments(const ConfigEntry& entry) {
  if (entry.value.empty()) return {"--" + entry.key, ""};
  return {"--" + entry.key + "=" + entry.value};
}

// Checks one file entry on its own parser; returns "FILE:LINE: key 'k': why" or "".
std::string checkEntry(const ConfigFile& file, const ConfigEntry& entry) {
  auto fail = [&](const std::string& why) {
    return file.path + ":" + std::to_string(entry.line) + ": key '" + entry.key + "': " + why;
  };
  CommandLine scratch;
  const CLI::Option* option = scratch.app.get_option_no_throw("--" + entry.key);
  if (!option || entry.key == "config" || entry.key == "help") return fail("unknown key");
  try {
    scratch.parse(entryArguments(entry));
  } catch (const CLI::ParseError& e) {
    return fail(e.what());
  }
  const std::string error = scratch.finish();
  return error.empty() ? error : fail(error);
}

}  // namespace

ParseResult parseArguments(const std::vector<std::string>& args) {
  CommandLine cli;
  try {
    cli.parse(args);
  } catch (const CLI::CallForHelp&) {
    return {std::nullopt, 0, cli.app.help()};
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, 2, std::string(e.what()) + "\nRun with --help for more information."};
  }
  std::string error = cli.finish();
  if (!error.empty()) return {std::nullopt, 2, error + "\nRun with --help for more information."};

  const std::string path = cli.o.configPath.empty() ? findConfigFile() : cli.o.configPath;
  if (path.empty()) {
    cli.o.arguments = args;
    return {cli.o, 0, {}};
  }
  const std::optional<ConfigFile> file = loadConfigFile(path, &error);
  if (!file) return {std::nullopt, 2, error};
  // File values first, then the command line; keys the command line set are left out, so flags
  // win without relying on how CLI11 treats an option given twice.
  std::vector<std::string> merged;
  for (const ConfigEntry& entry : file->entries) {
    error = checkEntry(*file, entry);
    if (!error.empty()) return {std::nullopt, 2, error};
    if (!cli.gave(entry.key)) {
      const std::vector<std::string> words = entryArguments(entry);
      merged.insert(merged.end(), words.begin(), words.end());
    }
  }
  merged.insert(merged.end(), args.begin(), args.end());
  CommandLine final;
  try {
    final.parse(merged);
  } catch (const CLI::ParseError& e) {  // each part passed alone; a combination can still fail
    return {std::nullopt, 2, path + ": " + e.what()};
  }
  error = final.finish();
  if (!error.empty()) return {std::nullopt, 2, path + ": " + error};
  final.o.configPath = path;
  final.o.arguments = args;
  return {final.o, 0, {}};
}

std::vector<std::string> optionsNeedingRestart(const Options& a, const Options& b) {
  std::vector<std::string> names;
  auto check = [&names](bool differs, const char* name) {
    if (differs) names.push_back(name);
  };
  check(a.configPath != b.configPath, "config");
  check(a.unicast != b.unicast, "unicast");
  check(a.port != b.port, "port");
  check(a.group != b.group, "group");
  check(a.interface != b.interface, "interface");
  check(a.ivshmemPath != b.ivshmemPath, "ivshmem");
  check(a.output != b.output || a.outputPath != b.outputPath, "output");
  check(a.alsaDevice != b.alsaDevice, "device");
  check(a.pulseSink != b.pulseSink, "sink");
  check(a.name != b.name, "name");
  check(a.latencyMs != b.latencyMs, "latency");
  check(a.maxLatencyMs != b.maxLatencyMs, "max-latency");
  check(a.noAutoconnect != b.noAutoconnect, "no-autoconnect");
  check(a.source != b.source, "source");
  check(a.resampler != b.resampler, "resampler");
  check(a.idleTimeoutSeconds != b.idleTimeoutSeconds, "idle-timeout");
  check(a.rejoinSeconds != b.rejoinSeconds, "rejoin");
  return names;
}

ParseResult parseOptions(int argc, char** argv) {
  ParseResult result = parseArguments(std::vector<std::string>(argv + 1, argv + argc));
  if (!result.options) {
    if (result.exitCode == 0) std::fputs(result.message.c_str(), stdout);
    else std::fprintf(stderr, "scream-recv: %s\n", result.message.c_str());
  }
  return result;
}

}  // namespace scream::receiver
