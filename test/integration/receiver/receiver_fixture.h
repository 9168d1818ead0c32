// Starts scream-recv (unicast on 127.0.0.1, a free port) with extra arguments and waits until it
// listens; logs and outputs go to a per-test directory that is kept for inspection.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/process.h"

namespace scream::testing {

struct Receiver {
  std::string dir;
  uint16_t port = 0;
  std::unique_ptr<Process> process;
  std::string stdoutPath() const { return dir + "/stdout"; }
  std::string stderrPath() const { return dir + "/stderr"; }
  std::string log() const { return readFile(stderrPath()); }
  // SIGTERM and wait; returns the exit code.
  int stop();
  // SIGUSR1, then the stats line it prints ("" if none comes within 5 s).
  std::string statsLine();
};

// Returns with the receiver listening (or fails the test). "{dir}" in an argument becomes the
// test's directory.
Receiver startReceiver(const std::string& name, const std::vector<std::string>& extraArgs);

// Runs scream-recv to completion with these arguments; returns {exit code, stderr+stdout}.
std::pair<int, std::string> runReceiverCli(const std::vector<std::string>& args);

}  // namespace scream::testing
