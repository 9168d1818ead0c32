// The UDP socket scream-send writes datagrams to: destination, multicast TTL and interface,
// DSCP, optional bind address. Sends never wait for anything but the kernel's send buffer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "driver/core/ipv4_address.h"

namespace scream::sender {

struct UdpConfig {
  driver::Ipv4Address destination{{239, 255, 77, 77}};
  uint16_t port = 4010;
  int ttl = -1;           // -1: OS default
  std::string interface;  // multicast interface: name ("eth0") or IPv4; empty: routing decides
  int dscp = -1;          // -1: leave IP_TOS alone
  driver::Ipv4Address bindAddress;  // 0.0.0.0 with port 0: no bind
  uint16_t bindPort = 0;
};

class UdpSender {
 public:
  // Opens and configures the socket; nullptr with *error set on failure.
  static std::unique_ptr<UdpSender> open(const UdpConfig& config, std::string* error);
  ~UdpSender();
  UdpSender(const UdpSender&) = delete;
  UdpSender& operator=(const UdpSender&) = delete;

  // Sends one datagram. A failure (no route, full buffer) is counted, not fatal: the network
  // may come back and the stream must go on.
  bool send(const uint8_t* datagram, size_t size);

  uint64_t sent() const { return sent_; }
  uint64_t errors() const { return errors_; }
  int lastError() const { return lastErrno_; }

 private:
  UdpSender(int fd, const UdpConfig& config);

  int fd_;
  UdpConfig config_;
  uint64_t sent_ = 0;
  uint64_t errors_ = 0;
  int lastErrno_ = 0;
};

}  // namespace scream::sender
