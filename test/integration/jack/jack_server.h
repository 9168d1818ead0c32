// A private JACK server for one test: jackd with the dummy driver (paced by the system clock like a
// card), under its own server name, which JACK_DEFAULT_SERVER of this process (and so of children
// started later) points at from construction on. Stopped by process id.
#pragma once

#include <memory>
#include <string>

#include "support/process.h"

namespace scream::testing {

class JackServer {
 public:
  // period: frames per cycle. The dummy driver drops the time of a late cycle (an xrun), which
  // then plays as added latency the engine catches up on by playing up to 2 % fast, and the glitch
  // detector counts that. The test VM stalls threads by 10-30 ms: with TESTING.md's 256 frames
  // (5.3 ms) a 6 s run saw 7-19 xruns, with 1024 (21 ms) 0-4; tests that count glitches use
  // 2048 (43 ms), which saw none in 60 s.
  JackServer(std::string name, unsigned rate, unsigned playbackPorts, unsigned period = 256);
  ~JackServer();

  // Starts jackd and waits until a client can connect (or fails the test).
  bool start();
  void terminate();  // SIGTERM: the server shuts down and tells its clients
  void kill();       // SIGKILL, like a crash
  const std::string& name() const { return name_; }
  std::string log() const;
  // Late cycles the server reported ("XRun" lines of its log).
  size_t xruns() const;

 private:
  std::string name_;
  unsigned rate_, playbackPorts_, period_;
  std::string dir_;
  std::unique_ptr<Process> process_;
  int starts_ = 0;
};

}  // namespace scream::testing
