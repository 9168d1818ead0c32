#include "daemon_support.h"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace scream::testing {

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

size_t countOf(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

bool waitForLog(const Receiver& r, const std::string& needle, int timeoutMs, size_t count) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (std::chrono::steady_clock::now() < until) {
    if (countOf(r.log(), needle) >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::pair<int, std::string> run(const std::vector<std::string>& argv, int timeoutMs) {
  const std::string dir = makeTempDir("scream-daemon-run");
  Process p(argv, dir + "/stdout", dir + "/stderr");
  int code = p.wait(timeoutMs);
  if (code == -1) {
    p.signal(SIGKILL);
    p.wait(5000);
  }
  return {code, readFile(dir + "/stdout") + readFile(dir + "/stderr")};
}

}  // namespace scream::testing
