#include "jack_server.h"

#include <gtest/gtest.h>
#include <jack/jack.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace scream::testing {

namespace {

bool serverAnswers() {
  jack_status_t status{};
  jack_client_t* client = jack_client_open("scream-test-ready", JackNoStartServer, &status);
  if (client == nullptr) return false;
  jack_client_close(client);
  return true;
}

void quietJack(const char*) {}  // "cannot connect to server" while it starts is expected

}  // namespace

JackServer::JackServer(std::string name, unsigned rate, unsigned playbackPorts, unsigned period)
    : name_("scream-test-" + name),
      rate_(rate),
      playbackPorts_(playbackPorts),
      period_(period),
      dir_(makeTempDir("scream-jack-" + name)) {
  // Our own server only, never a user's, from now on (also for a receiver started before the
  // server); JACK_NO_START_SERVER keeps libjack from spawning one.
  setenv("JACK_DEFAULT_SERVER", name_.c_str(), 1);
  setenv("JACK_NO_START_SERVER", "1", 1);
}

JackServer::~JackServer() {
  terminate();
}

std::string JackServer::log() const {
  std::string all;
  for (int i = 1; i <= starts_; ++i) all += readFile(dir_ + "/jackd" + std::to_string(i) + ".log");
  return all;
}

size_t JackServer::xruns() const {
  const std::string text = log();
  size_t n = 0;
  for (size_t at = text.find("XRun"); at != std::string::npos; at = text.find("XRun", at + 1)) ++n;
  return n;
}

bool JackServer::start() {
  jack_set_error_function(&quietJack);
  jack_set_info_function(&quietJack);
  // A long client timeout (-t): the test VM stalls threads by 10-30 ms, and a client that misses
  // the default would be thrown out of the graph.
  const std::vector<std::string> argv = {"/usr/bin/jackd",
                                         "-n",
                                         name_,
                                         "-t",
                                         "5000",
                                         "-d",
                                         "dummy",
                                         "-r",
                                         std::to_string(rate_),
                                         "-p",
                                         std::to_string(period_),
                                         "-C",
                                         "0",
                                         "-P",
                                         std::to_string(playbackPorts_)};
  const std::string log = dir_ + "/jackd" + std::to_string(++starts_) + ".log";
  process_ = std::make_unique<Process>(argv, dir_ + "/jackd.out", log);
  for (int i = 0; i < 100; ++i) {
    if (serverAnswers()) return true;
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "jackd did not answer; log:\n" << readFile(log);
  return false;
}

void JackServer::terminate() {
  if (!process_ || !process_->running()) return;
  process_->signal(SIGTERM);
  if (process_->wait(5000) == -1) process_->signal(SIGKILL), process_->wait(5000);
}

void JackServer::kill() {
  if (!process_ || !process_->running()) return;
  process_->signal(SIGKILL);
  process_->wait(5000);
}

}  // namespace scream::testing
