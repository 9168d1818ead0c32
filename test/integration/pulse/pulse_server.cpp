#include "pulse_server.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "support/test_sender.h"

namespace scream::testing {

PulseServer::PulseServer(std::string sinkName, std::string sinkOptions, double clockSpeed)
    : sinkName_(std::move(sinkName)), sinkOptions_(std::move(sinkOptions)),
      dir_(makeTempDir("scream-pulse-" + sinkName_)), clockSpeed_(clockSpeed) {}

PulseServer::~PulseServer() {
  keeper_.reset();
  if (process_ && process_->running()) {
    process_->signal(SIGTERM);
    if (process_->wait(5000) == -1) process_->signal(SIGKILL), process_->wait(5000);
  }
}

bool PulseServer::answers() {
  Process pactl({"/usr/bin/pactl", "info"}, dir_ + "/pactl.out", dir_ + "/pactl.err");
  return pactl.wait(2000) == 0;
}

bool PulseServer::start(bool keep) {
  // Our own address only: never a user's or system server.
  setenv("PULSE_SERVER", address().c_str(), 1);
  unsetenv("PULSE_SINK");
  unsetenv("PULSE_SOURCE");
  // As root pulseaudio only warns, given --system=no and a home/runtime dir of its own; anonymous
  // auth avoids sharing a cookie file with the clients.
  std::vector<std::string> argv;
  if (clockSpeed_ != 1.0) {
    char speed[32];
    std::snprintf(speed, sizeof speed, "+0 x%.6f", clockSpeed_);
    argv = {"/usr/bin/faketime", "-f", speed};
  }
  argv.insert(argv.end(), {
      "/usr/bin/env", "HOME=" + dir_, "XDG_RUNTIME_DIR=" + dir_, "pulseaudio", "-n",
      "--daemonize=no", "--system=no", "--disallow-exit", "--exit-idle-time=-1",
      "--log-target=stderr", "-F", "/dev/null",
      "--load=module-native-protocol-unix auth-anonymous=1 socket=" + dir_ + "/native",
      "--load=module-null-sink sink_name=" + sinkName_ + " " + sinkOptions_});
  const std::string log =
      dir_ + "/pulseaudio" + (starts_++ ? std::to_string(starts_) : "") + ".log";
  process_ = std::make_unique<Process>(argv, dir_ + "/pulseaudio.out", log);
  for (int i = 0; i < 100; ++i) {
    if (answers()) {
      answeredNs_ = monotonicNs();
      return keep ? keepRunning() : true;
    }
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "pulseaudio did not answer; log:\n" << readFile(log);
  return false;
}

// An idle null sink renders 2 s blocks and only then notices a new low-latency stream: the first
// stream would stall for up to 2 s (a real card rewinds instead). A silent low-latency stream
// keeps the sink in small blocks; the stall is waited out once, here.
bool PulseServer::keepRunning() {
  keeper_ = std::make_unique<Process>(
      std::vector<std::string>{"/usr/bin/pacat", "--playback", "-d", sinkName_,
                               "--latency-msec=40", "--raw", "--format=float32le", "--rate=48000",
                               "--channels=1", "/dev/zero"},
      dir_ + "/keeper.out", dir_ + "/keeper.err");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  if (keeper_->running()) return true;
  ADD_FAILURE() << "pacat keeper stopped: " << readFile(dir_ + "/keeper.err");
  return false;
}

void PulseServer::kill() {
  process_->signal(SIGKILL);
  process_->wait(5000);
  if (keeper_) keeper_->wait(2000);  // loses its server too
  keeper_.reset();
}

}  // namespace scream::testing
