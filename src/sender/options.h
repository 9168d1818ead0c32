// scream-send's command line. Everything is validated here, so that a bad value ends the
// program with a clear message and exit code 2 before any socket is opened.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/format.h"
#include "sender/udp_sender.h"

namespace scream::sender {

inline constexpr int kExitUsage = 2;

struct Options {
  std::string source;    // "tone", "stdin" or "file:PATH"
  std::string filePath;  // for file:PATH
  bool loop = false;
  std::string markerLog;                       // empty: none
  protocol::Format format{48000, 16, 2, 0x3};  // tone and stdin
  UdpConfig udp;
  double durationSeconds = 0;  // 0: until the source ends or a signal
  double clockPpm = 0;
  uint32_t burstMs = 5;
  uint32_t silenceThreshold = 0;
  int verbosity = 0;
};

struct ParseResult {
  bool run = false;  // false: exit with exitCode (help printed, or an error reported)
  int exitCode = 0;
  Options options;
};

// Parses and validates; prints --help or the error message itself.
ParseResult parseCommandLine(int argc, char** argv);

}  // namespace scream::sender
