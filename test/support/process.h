// Starts a program for an integration test with stdout/stderr going to files, and stops it by
// process id. The destructor kills what is still running, so a failed test leaves nothing behind.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace scream::testing {

class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& stdoutPath,
          const std::string& stderrPath);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // Waits up to timeoutMs; returns the exit code, 128 + signal if killed, -1 on timeout.
  int wait(int timeoutMs);
  bool running();

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

std::string readFile(const std::string& path);
// A fresh directory under $TMPDIR (or /tmp), removed by nobody: test logs stay for inspection.
std::string makeTempDir(const std::string& prefix);
// A UDP port on 127.0.0.1 that is free right now.
uint16_t freeUdpPort();

// How often `what` occurs in `text` (a process's log, say).
size_t occurrences(const std::string& text, const std::string& what);

}  // namespace scream::testing
