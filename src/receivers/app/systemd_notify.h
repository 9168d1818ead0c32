// scream-recv as a systemd service: the sd_notify protocol (READY, STATUS, WATCHDOG, RELOADING,
// STOPPING) and log lines the journal files under the right priority. Outside systemd (no
// NOTIFY_SOCKET, no JOURNAL_STREAM) everything here is a no-op and logs stay readable lines.
#pragma once

#include <cstdint>
#include <string>

namespace scream::receiver {

class ServiceNotifier {
 public:
  ServiceNotifier();  // reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID through libsystemd

  bool watchdogEnabled() const { return watchdogIntervalNs_ > 0; }
  void ready(const std::string& status);
  // Sends STATUS=text only when it differs from the last one sent.
  void status(const std::string& text);
  void reloading();
  void reloaded();
  void stopping();
  // Sends WATCHDOG=1 every half watchdog interval; call it from the loop that must stay alive.
  void keepAlive(int64_t nowNs);

 private:
  void send(const std::string& message);

  std::string lastStatus_;
  int64_t watchdogIntervalNs_ = 0;
  int64_t nextWatchdogNs_ = 0;
};

// Installs the default logger on stderr: "<N>message" lines (syslog priorities the journal reads)
// when stderr is the journal stream systemd gave us, "HH:MM:SS.mmm level message" elsewhere.
void setupLogging(const char* name);

// True when stderr is connected to the journal (JOURNAL_STREAM names stderr's device:inode).
bool stderrIsJournal();

}  // namespace scream::receiver
