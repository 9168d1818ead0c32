// scream-recv under a service manager: the sd_notify messages (READY, STATUS with the stream,
// WATCHDOG, RELOADING, STOPPING) read from a notify socket the test owns, journal-style log
// lines, and waiting for a network address that appears after the start.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "daemon_support.h"
#include "support/test_sender.h"

namespace scream::testing {
namespace {

// The receiving end of NOTIFY_SOCKET, as systemd has it: a datagram socket, one message each.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~NotifySocket() { close(fd_); }
  bool bound() const { return bound_; }
  // Collects messages for `ms` milliseconds.
  std::vector<std::string> read(int ms) {
    std::vector<std::string> messages;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    timeval tv{0, 20000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (std::chrono::steady_clock::now() < until) {
      char buffer[4096];
      const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n > 0) messages.emplace_back(buffer, static_cast<size_t>(n));
    }
    return messages;
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

size_t countMessages(const std::vector<std::string>& messages, const std::string& needle) {
  size_t n = 0;
  for (const auto& m : messages) n += m.find(needle) != std::string::npos;
  return n;
}

std::string joined(const std::vector<std::string>& messages) {
  std::string text;
  for (const auto& m : messages) text += "[" + m + "] ";
  return text;
}

class DaemonNotify : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir("scream-daemon-notify");
    setenv("XDG_CONFIG_HOME", dir_.c_str(), 1);
  }
  void TearDown() override {
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "JOURNAL_STREAM"}) unsetenv(name);
  }
  std::string dir_;
};

TEST_F(DaemonNotify, ReadyStatusWatchdogReloadingStopping) {
  NotifySocket notify(dir_ + "/notify");
  ASSERT_TRUE(notify.bound());
  setenv("NOTIFY_SOCKET", (dir_ + "/notify").c_str(), 1);
  setenv("WATCHDOG_USEC", "200000", 1);  // 0.2 s: a keep-alive every 0.1 s
  Receiver r = startReceiver("notify", {"-o", "file:{dir}/out.wav"});
  const auto idle = notify.read(600);
  EXPECT_EQ(countMessages(idle, "READY=1\nSTATUS=starting"), 1u) << joined(idle);
  EXPECT_GE(countMessages(idle, "STATUS=waiting for a sender on unicast 127.0.0.1:"), 1u)
      << joined(idle);
  EXPECT_GE(countMessages(idle, "WATCHDOG=1"), 3u) << joined(idle);

  TestSenderConfig sc;
  sc.destPort = r.port;
  sc.seconds = 2;
  TestSender sender(sc);
  sender.start();
  const auto playing = notify.read(1500);
  EXPECT_GE(countMessages(playing, "STATUS=playing 127.0.0.1:"), 1u) << joined(playing);
  EXPECT_GE(countMessages(playing, ": 48000 Hz 16 bit 2 ch, latency "), 1u) << joined(playing);
  r.process->signal(SIGHUP);
  const auto reload = notify.read(500);
  EXPECT_EQ(countMessages(reload, "RELOADING=1"), 1u) << joined(reload);
  sender.join();
  EXPECT_EQ(r.stop(), 0) << r.log();
  const auto stop = notify.read(200);
  EXPECT_EQ(countMessages(stop, "STOPPING=1"), 1u) << joined(stop);
}

TEST_F(DaemonNotify, JournalLinesCarrySyslogPriorities) {
  // The receiver's stderr is this file; JOURNAL_STREAM naming it makes the receiver write as
  // it would to the journal.
  const std::string dir = makeTempDir("scream-daemon-journal");
  const std::string stderrPath = dir + "/stderr";
  writeFile(stderrPath, "");
  struct stat st;
  ASSERT_EQ(stat(stderrPath.c_str(), &st), 0);
  setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)).c_str(),
         1);
  const uint16_t port = freeUdpPort();
  Process p({SCREAM_RECV_PATH, "-u", "-i", "127.0.0.1", "-p", std::to_string(port), "-o",
             "file:" + dir + "/out.wav", "--source", "127.0.0.1:1"},
            dir + "/stdout", stderrPath);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(10000), 0);
  const std::string log = readFile(stderrPath);
  EXPECT_EQ(log.rfind("<6>listening on unicast 127.0.0.1:", 0), 0u) << log;  // info, no timestamp
  EXPECT_NE(log.find("\n<6>stopped ("), std::string::npos) << log;
  // A terminal (or any other stderr) gets readable lines.
  unsetenv("JOURNAL_STREAM");
  const auto [code, out] = runReceiverCli({"-o", "raw", "-p", "0"});
  EXPECT_EQ(code, 2);
  EXPECT_EQ(out.find("<3>"), std::string::npos) << out;
}

TEST_F(DaemonNotify, WaitsForANetworkAddressThatAppearsLater) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a private network namespace (unshare -n)";
  NotifySocket notify(dir_ + "/notify");
  ASSERT_TRUE(notify.bound());
  setenv("NOTIFY_SOCKET", (dir_ + "/notify").c_str(), 1);
  // Only lo, down, in the namespace: 10.77.0.1 does not exist until the test adds it.
  Receiver r;
  r.dir = dir_;
  r.port = 4010;
  r.process = std::make_unique<Process>(
      std::vector<std::string>{"/usr/bin/unshare", "-n", "--", SCREAM_RECV_PATH, "-u", "-i",
                               "10.77.0.1", "-o", "file:" + dir_ + "/out.wav"},
      r.stdoutPath(), r.stderrPath());
  ASSERT_TRUE(waitForLog(r, "retrying every 2 s", 5000)) << r.log();
  const auto waiting = notify.read(300);
  EXPECT_GE(countMessages(waiting, "READY=1"), 1u) << joined(waiting);
  EXPECT_GE(countMessages(waiting, "STATUS=waiting for the network: "), 1u) << joined(waiting);
  EXPECT_EQ(r.log().find("listening on"), std::string::npos) << r.log();

  const std::string pid = std::to_string(r.process->pid());
  for (const auto& cmd : {std::vector<std::string>{"/usr/bin/nsenter", "-t", pid, "-n", "ip",
                                                   "link", "set", "lo", "up"},
                          std::vector<std::string>{"/usr/bin/nsenter", "-t", pid, "-n", "ip",
                                                   "addr", "add", "10.77.0.1/32", "dev", "lo"}}) {
    const auto [code, out] = run(cmd, 10000);
    ASSERT_EQ(code, 0) << out;
  }
  EXPECT_TRUE(waitForLog(r, "network input is up", 5000)) << r.log();
  EXPECT_TRUE(waitForLog(r, "listening on unicast 10.77.0.1:4010", 1000)) << r.log();
  EXPECT_TRUE(r.process->running());
  EXPECT_EQ(r.stop(), 0) << r.log();
}

}  // namespace
}  // namespace scream::testing
