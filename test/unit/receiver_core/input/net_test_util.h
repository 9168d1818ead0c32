// Helpers for the network input tests: a UDP sender, and a runner that executes a test body in a
// forked child inside a fresh network namespace, so multicast can never reach a real network.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "receivers/core/monotonic_clock.h"

namespace scream::receiver::test {

constexpr uint32_t kLoopback = 0x7F000001;      // host byte order
constexpr uint32_t kDefaultGroup = 0xEFFF4D4D;  // 239.255.77.77

inline sockaddr_in ipv4Address(uint32_t hostOrder, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(hostOrder);
  a.sin_port = htons(port);
  return a;
}

// A UDP socket bound to 127.0.0.1 (or another local address) on an ephemeral port. Multicast
// leaves through the interface whose address is `from`: only ever 127.0.0.1 or an address inside
// a private namespace.
class UdpSender {
 public:
  explicit UdpSender(uint32_t from = kLoopback) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const sockaddr_in local = ipv4Address(from, 0);
    bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local);
    in_addr multicastIf{};
    multicastIf.s_addr = htonl(from);
    setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &multicastIf, sizeof multicastIf);
    sockaddr_in bound{};
    socklen_t size = sizeof bound;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &size);
    port_ = ntohs(bound.sin_port);
  }
  ~UdpSender() { close(fd_); }
  UdpSender(const UdpSender&) = delete;
  UdpSender& operator=(const UdpSender&) = delete;

  bool send(uint32_t to, uint16_t port, const std::vector<uint8_t>& bytes) const {
    const sockaddr_in dest = ipv4Address(to, port);
    return sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&dest),
                  sizeof dest) == static_cast<ssize_t>(bytes.size());
  }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A Scream-sized datagram (5-byte header + 1152 PCM bytes) carrying `sequence` in bytes 5-8;
// size must be at least 9.
inline std::vector<uint8_t> numberedDatagram(uint32_t sequence, size_t size = 1157) {
  std::vector<uint8_t> d(size, 0x5A);
  const uint8_t header[5] = {0x01, 16, 2, 0x03, 0x00};
  std::memcpy(d.data(), header, sizeof header);
  std::memcpy(d.data() + 5, &sequence, sizeof sequence);
  return d;
}

inline uint32_t sequenceOf(const uint8_t* data) {
  uint32_t sequence = 0;
  std::memcpy(&sequence, data + 5, sizeof sequence);
  return sequence;
}

// Collects failed expectations inside the child; the parent turns them into one assertion.
class ChildReport {
 public:
  void expect(bool ok, const std::string& what) {
    if (!ok) text_ += what + "\n";
  }
  void skip(const std::string& why) { text_ = "SKIP: " + why; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// In the child: lo up with multicast and a 224.0.0.0/4 route, then checks that lo is the only
// interface, so nothing sent here can leave the machine. Returns "" or what went wrong.
inline std::string setUpLoopbackOnlyNamespace() {
  if (unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) return "SIOCGIFFLAGS lo failed";
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_MULTICAST);
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) return "cannot bring lo up";
  rtentry route{};
  const sockaddr_in destination = ipv4Address(0xE0000000, 0);  // 224.0.0.0/4
  const sockaddr_in mask = ipv4Address(0xF0000000, 0);
  std::memcpy(&route.rt_dst, &destination, sizeof destination);
  std::memcpy(&route.rt_genmask, &mask, sizeof mask);
  route.rt_flags = RTF_UP;
  char lo[] = "lo";
  route.rt_dev = lo;
  if (ioctl(s, SIOCADDRT, &route) != 0) return std::string("route 224/4: ") + strerror(errno);
  close(s);

  struct if_nameindex* names = if_nameindex();
  std::string others;
  for (struct if_nameindex* n = names; n != nullptr && n->if_index != 0; ++n) {
    if (std::strcmp(n->if_name, "lo") != 0) others += std::string(" ") + n->if_name;
  }
  if_freenameindex(names);
  if (!others.empty()) return "namespace is not private, it has:" + others;
  return "";
}

// Forks; the child enters a loopback-only namespace and runs body, which returns its report
// text. Returns that text ("" = all expectations held), "SKIP: ..." or a description of how the
// child failed. The parent's namespace is never touched.
inline std::string runInPrivateNetwork(const std::function<void(ChildReport&)>& body,
                                       int timeoutMs = 20'000) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    close(fds[0]);
    ChildReport report;
    const std::string setupError = setUpLoopbackOnlyNamespace();
    if (setupError.empty()) {
      body(report);
    } else {
      report.expect(false, "namespace setup: " + setupError);
    }
    const std::string& text = report.text().empty() ? std::string("OK") : report.text();
    ssize_t unused = write(fds[1], text.data(), text.size());
    (void)unused;
    _exit(0);  // no atexit handlers or gtest teardown in the child
  }
  close(fds[1]);
  std::string text;
  const int64_t deadline = monotonicNs() + int64_t{timeoutMs} * 1'000'000;
  for (;;) {
    const int64_t left = (deadline - monotonicNs()) / 1'000'000;
    pollfd p{fds[0], POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) == 0) {
      kill(pid, SIGKILL);
      text = "child timed out after " + std::to_string(timeoutMs) + " ms; partial: " + text;
      break;
    }
    char buffer[512];
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "child died (status " + std::to_string(status) + "): " + text;
  }
  if (text.empty()) return "child reported nothing";
  return text == "OK" ? "" : text;
}

}  // namespace scream::receiver::test
