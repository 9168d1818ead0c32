// Everything scream-recv can be told, parsed from the command line (CLI11). Upstream's flags
// (-u -p -i -g -m -o -d -s -n -t -l -c -v) keep their meaning.
#pragma once

#include <optional>
#include <string>

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
};

struct ParseResult {
  std::optional<Options> options;  // empty: exit with `exitCode` (0 after --help)
  int exitCode = 0;
};

ParseResult parseOptions(int argc, char** argv);

const char* outputName(OutputKind kind);

}  // namespace scream::receiver
