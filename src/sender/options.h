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
  std::string source;    // "tone", "stdin", "file:PATH", "pulse", "alsa" or "jack"
  std::string filePath;  // for file:PATH
  bool loop = false;
  std::string markerLog;                       // empty: none
  protocol::Format format{48000, 16, 2, 0x3};  // tone, stdin and device sources
  std::string sinkName = "Scream";             // --sink-name: the pulse source's null sink
  std::string alsaDevice = "default";          // -d: the alsa source's capture PCM
  std::string jackClient = "scream-send";      // --jack-client: the jack source's client name
  UdpConfig udp;
  std::string ivshmemPath;      // --ivshmem: write the IVSHMEM ring there instead of UDP
  uint32_t ivshmemSizeMiB = 2;  // --ivshmem-size
  uint32_t ivshmemChunkMs = 20;  // --ivshmem-chunk-ms (upstream 20; the Windows driver 5)
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
