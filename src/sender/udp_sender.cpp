#include "sender/udp_sender.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace scream::sender {

namespace {

sockaddr_in toSockaddr(const driver::Ipv4Address& address, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(address.toHostOrder());
  return sa;
}

std::string lastErrno(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// IP_MULTICAST_IF by interface index (name) or by local address (IPv4).
bool setMulticastInterface(int fd, const std::string& interface, std::string* error) {
  ip_mreqn request{};
  driver::Ipv4Address address;
  if (driver::parseIpv4(interface.data(), interface.size(), &address)) {
    request.imr_address.s_addr = htonl(address.toHostOrder());
  } else {
    request.imr_ifindex = static_cast<int>(if_nametoindex(interface.c_str()));
    if (request.imr_ifindex == 0) {
      *error = "--interface " + interface + ": no such network interface";
      return false;
    }
  }
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &request, sizeof request) != 0) {
    *error = lastErrno(("--interface " + interface).c_str());
    return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<UdpSender> UdpSender::open(const UdpConfig& config, std::string* error) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = lastErrno("socket");
    return nullptr;
  }
  auto fail = [&](std::string message) {
    *error = std::move(message);
    ::close(fd);
    return nullptr;
  };
  const bool multicast = config.destination.isMulticast();
  if (config.ttl >= 0) {
    const int ttl = config.ttl;
    const int option = multicast ? IP_MULTICAST_TTL : IP_TTL;
    if (setsockopt(fd, IPPROTO_IP, option, &ttl, sizeof ttl) != 0) return fail(lastErrno("--ttl"));
  }
  if (config.dscp >= 0) {
    const int tos = config.dscp << 2;  // DSCP is the upper six bits of the TOS byte
    if (setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos) != 0) return fail(lastErrno("--dscp"));
  }
  if (!config.interface.empty()) {
    std::string why;
    if (!setMulticastInterface(fd, config.interface, &why)) return fail(why);
  }
  if (!config.bindAddress.isAny() || config.bindPort != 0) {
    const sockaddr_in local = toSockaddr(config.bindAddress, config.bindPort);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
      return fail(lastErrno("--bind"));
    }
  }
  return std::unique_ptr<UdpSender>(new UdpSender(fd, config));
}

UdpSender::UdpSender(int fd, const UdpConfig& config) : fd_(fd), config_(config) {}

UdpSender::~UdpSender() {
  ::close(fd_);
}

bool UdpSender::send(const uint8_t* datagram, size_t size) {
  const sockaddr_in to = toSockaddr(config_.destination, config_.port);
  const ssize_t n =
      sendto(fd_, datagram, size, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  if (n == static_cast<ssize_t>(size)) {
    ++sent_;
    return true;
  }
  ++errors_;
  lastErrno_ = n < 0 ? errno : EMSGSIZE;
  return false;
}

}  // namespace scream::sender
