#include "systemd_notify.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace scream::receiver {

ServiceNotifier::ServiceNotifier() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdogIntervalNs_ = static_cast<int64_t>(usec) * 1000;
  }
}

void ServiceNotifier::send(const std::string& message) {
  // Without NOTIFY_SOCKET sd_notify returns 0 and does nothing.
  const int r = sd_notify(0, message.c_str());
  if (r < 0) spdlog::debug("sd_notify failed: {}", r);
}

void ServiceNotifier::ready(const std::string& status) {
  lastStatus_ = status;
  send("READY=1\nSTATUS=" + status);
}

void ServiceNotifier::status(const std::string& text) {
  if (text == lastStatus_) return;
  lastStatus_ = text;
  send("STATUS=" + text);
}

void ServiceNotifier::reloading() {
  send("RELOADING=1");
}
void ServiceNotifier::reloaded() {
  send("READY=1");
}
void ServiceNotifier::stopping() {
  send("STOPPING=1\nSTATUS=stopping");
}

void ServiceNotifier::keepAlive(int64_t nowNs) {
  if (watchdogIntervalNs_ <= 0 || nowNs < nextWatchdogNs_) return;
  send("WATCHDOG=1");
  nextWatchdogNs_ = nowNs + watchdogIntervalNs_ / 2;
}

namespace {

// "<3>" for errors ... "<7>" for debug: the journal reads the priority from the line's start
// (sd-daemon(3)); timestamps are left out because the journal keeps its own.
class SyslogPrefix : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const char* prefix = SD_INFO;
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: prefix = SD_DEBUG; break;
      case spdlog::level::info: prefix = SD_INFO; break;
      case spdlog::level::warn: prefix = SD_WARNING; break;
      case spdlog::level::err: prefix = SD_ERR; break;
      case spdlog::level::critical: prefix = SD_CRIT; break;
      default: break;
    }
    dest.append(prefix, prefix + std::char_traits<char>::length(prefix));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPrefix>();
  }
};

}  // namespace

bool stderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st;
  return fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void setupLogging(const char* name) {
  if (stderrIsJournal()) {
    auto logger = spdlog::stderr_logger_mt(name);
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPrefix>('*').set_pattern("%*%v");
    logger->set_formatter(std::move(formatter));
    spdlog::set_default_logger(logger);
    return;
  }
  // Logs go to stderr: stdout carries PCM with -o raw.
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_pattern("%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
}

}  // namespace scream::receiver
