#include "receiver_fixture.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

namespace scream::testing {

int Receiver::stop() {
  process->signal(SIGTERM);
  return process->wait(10000);
}

std::string Receiver::statsLine() {
  const size_t before = occurrences(log(), "stats: ");
  process->signal(SIGUSR1);
  for (int i = 0; i < 500; ++i) {
    const std::string text = log();
    if (occurrences(text, "stats: ") > before) {
      const size_t at = text.rfind("stats: ");
      return text.substr(at, text.find('\n', at) - at);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "";
}

Receiver startReceiver(const std::string& name, const std::vector<std::string>& extraArgs) {
  Receiver r;
  r.dir = makeTempDir("scream-recv-" + name);
  r.port = freeUdpPort();
  std::vector<std::string> argv = {SCREAM_RECV_PATH, "-u", "-i", "127.0.0.1", "-p",
                                   std::to_string(r.port)};
  for (std::string arg : extraArgs) {
    const size_t at = arg.find("{dir}");
    if (at != std::string::npos) arg.replace(at, 5, r.dir);
    argv.push_back(arg);
  }
  r.process = std::make_unique<Process>(argv, r.stdoutPath(), r.stderrPath());
  for (int i = 0; i < 500; ++i) {
    if (r.log().find("listening on") != std::string::npos) return r;
    if (!r.process->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "scream-recv did not start listening; log:\n" << r.log();
  return r;
}

std::pair<int, std::string> runReceiverCli(const std::vector<std::string>& args) {
  const std::string dir = makeTempDir("scream-recv-cli");
  std::vector<std::string> argv = {SCREAM_RECV_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  Process p(argv, dir + "/stdout", dir + "/stderr");
  int code = p.wait(10000);
  if (code == -1) {
    p.signal(SIGTERM);
    code = p.wait(5000);
  }
  return {code, readFile(dir + "/stderr") + readFile(dir + "/stdout")};
}

}  // namespace scream::testing
