// A private PulseAudio server for one test: its own runtime directory and socket, one null sink
// (paced by the system clock like a card), stopped by process id. Runs as root with only a
// warning when given --system=no and a HOME/XDG_RUNTIME_DIR of its own.
#pragma once

#include <memory>
#include <string>

#include "support/process.h"

namespace scream::testing {

class PulseServer {
 public:
  // sinkOptions: module-null-sink arguments after sink_name, e.g. "rate=48000 channels=2".
  // clockSpeed != 1: the daemon runs under libfaketime (`faketime -f "+0 xSPEED"`, Debian's
  // faketime), which scales its clocks and timers: the null sink's clock then runs about
  // (clockSpeed - 1) * 1e6 ppm off CLOCK_MONOTONIC, like a card with an off crystal.
  PulseServer(std::string sinkName, std::string sinkOptions, double clockSpeed = 1.0);
  ~PulseServer();

  // Starts the daemon, waits until `pactl info` answers (or fails the test) and keeps the null
  // sink at low latency (see keepRunning). Also points
  // PULSE_SERVER of this process (and so of children started later) at it.
  // keep = false: return as soon as the server answers; call keepRunning() later.
  bool start(bool keep = true);
  bool keepRunning();
  void kill();  // SIGKILL, like a crash; the socket stays behind as it would
  std::string address() const { return "unix:" + dir_ + "/native"; }
  int64_t answeredNs() const { return answeredNs_; }  // CLOCK_MONOTONIC, last start()
  const std::string& sinkName() const { return sinkName_; }
  double clockSpeed() const { return clockSpeed_; }
  std::string log() const { return readFile(dir_ + "/pulseaudio.log"); }

 private:
  bool answers();

  std::string sinkName_, sinkOptions_, dir_;
  double clockSpeed_;
  std::unique_ptr<Process> process_;
  std::unique_ptr<Process> keeper_;  // pacat playing silence at low latency
  int starts_ = 0;
  int64_t answeredNs_ = 0;
};

}  // namespace scream::testing
