// Everything scream-recv can be told, parsed from the command line (CLI11) and a TOML file
// (config_file.h) whose keys are the long options; flags win over the file. Upstream's flags
// (-u -p -i -g -m -o -d -s -n -t -l -c -v) keep their meaning.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "receivers/core/resampler.h"

namespace scream::receiver {

enum class OutputKind { kDefault, kRaw, kFile, kPulse, kAlsa, kJack };

struct Options {
  bool unicast = false;
  uint16_t port = 4010;
  std::string group = "239.255.77.77";
  std::string interface;
  std::string ivshmemPath;
  OutputKind output = OutputKind::kDefault;
  std::string outputPath;  // for file:PATH
  std::string alsaDevice = "default";
  std::string pulseSink;
  std::string name = "Scream";
  double latencyMs = 0;  // 0 = auto
  double maxLatencyMs = 100;
  bool noAutoconnect = false;
  int verbosity = 0;
  std::string source;  // --source ADDR[:PORT]
  ResamplerQuality resampler = ResamplerQuality::kFastest;
  double statsSeconds = 0;  // 0 = off
  double idleTimeoutSeconds = 5;
  double rejoinSeconds = 60;
  std::string configPath;              // the file the values came from; "" = none
  std::vector<std::string> arguments;  // the command line (no program name), kept for SIGHUP
};

struct ParseResult {
  std::optional<Options> options;  // empty: exit with `exitCode` (0 after --help)
  int exitCode = 0;
  std::string message;  // help text (exit 0) or the error, naming file, line and key for the file
};

// Command line plus configuration file; prints help or the error.
ParseResult parseOptions(int argc, char** argv);
// The same without printing; SIGHUP calls it again with Options::arguments to reload the file.
ParseResult parseArguments(const std::vector<std::string>& args);

const char* outputName(OutputKind kind);

// The long names of options that differ between two parses and only take effect on a restart
// (everything but --verbose and --stats, which a running receiver applies on SIGHUP).
std::vector<std::string> optionsNeedingRestart(const Options& running, const Options& loaded);

}  // namespace scream::receiver
