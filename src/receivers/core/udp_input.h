// The receiver's network input: one UDP socket (multicast group member or unicast), drained in
// batches with recvmmsg, each datagram stamped with its kernel arrival time on CLOCK_MONOTONIC.
// First stage of the receiver data path: UdpInput -> header validation -> SourceFilter -> tracker.
// Runs in the network thread only; nothing here is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "network_interface.h"
#include "source_address.h"

namespace scream::receiver {

struct InputConfig {
  bool multicast = true;  // false: unicast (-u)
  std::string group = "239.255.77.77";
  uint16_t port = 4010;  // 0 = any free port (tests; see UdpInput::boundPort)
  // "" = any. Interface name ("eth0") or IPv4 address. Multicast: interface to join on.
  // Unicast: local address to bind.
  std::string interface;
  // SO_RCVBUFFORCE when permitted (CAP_NET_ADMIN), else SO_RCVBUF, which the kernel caps at
  // net.core.rmem_max. <= 0 keeps the system default.
  int receiveBufferBytes = 4 << 20;
  // Periodic IGMP re-join (drop + add membership), so IGMP-snooping switches without a querier
  // keep forwarding the group; 0 = never.
  double rejoinSeconds = 60;
  // Buffer per datagram slot; larger datagrams arrive truncated (Datagram::truncated). 65536
  // holds any IPv4 UDP datagram; smaller values exist for tests.
  size_t maxDatagramBytes = 65536;
};

struct Datagram {
  const uint8_t* data = nullptr;  // valid only during the handler call
  size_t size = 0;                // bytes in data (at most maxDatagramBytes)
  SourceAddress from;
  // CLOCK_MONOTONIC ns from the kernel's receive stamp; never decreases from one datagram to
  // the next. The kernel enables stamping asynchronously, so when no other socket on the host
  // uses it the first datagram or two after open() may carry the time they were read instead.
  int64_t arrivalNs = 0;
  bool truncated = false;  // larger than maxDatagramBytes: the tail was lost, caller should drop it
};

class UdpInput {
 public:
  static constexpr unsigned kBatch = 64;  // datagrams per recvmmsg call

  // Opens, binds, joins. On failure returns nullptr and a user-facing message in *error, e.g.
  // "cannot bind UDP port 4010 on 0.0.0.0: Address already in use".
  static std::unique_ptr<UdpInput> open(const InputConfig& config, std::string* error);
  ~UdpInput();  // leaves the group, closes

  UdpInput(const UdpInput&) = delete;
  UdpInput& operator=(const UdpInput&) = delete;

  // Waits up to timeoutMs (0 = just look, < 0 = forever) for datagrams, then drains what is
  // queued in batches of kBatch and calls handler for each, in arrival order. Returns the number
  // delivered (0 on timeout or when a signal interrupted the wait), or -1 on a fatal socket error
  // (message in lastError()). Performs the periodic re-join when due, also while waiting.
  int receive(int timeoutMs, const std::function<void(const Datagram&)>& handler);

  uint64_t rejoins() const { return rejoins_; }                    // successful re-joins
  uint64_t rejoinFailures() const { return rejoinFailures_; }      // retried after 1 s
  const std::string& rejoinError() const { return rejoinError_; }  // "" after a success
  int receiveBufferBytes() const { return receiveBufferBytes_; }   // granted, same units as asked
  const std::string& lastError() const { return lastError_; }
  int fd() const { return fd_; }
  uint16_t boundPort() const { return boundPort_; }
  // "multicast 239.255.77.77:4010 on lo (127.0.0.1)" / "unicast 0.0.0.0:4010", for logs.
  std::string describe() const;

 private:
  struct Batch;  // recvmmsg headers and buffers, allocated once in open()

  UdpInput();
  bool setUp(const InputConfig& config, std::string* error);
  bool join(std::string* error);
  void rejoinIfDue(int64_t nowNs);
  int drain(const std::function<void(const Datagram&)>& handler);

  int fd_ = -1;
  bool multicast_ = false;
  uint32_t group_ = 0;                         // host byte order
  std::string interfaceText_;                  // as configured, re-resolved if a re-join fails
  std::optional<NetworkInterface> interface_;  // nullopt = any
  bool joined_ = false;
  uint32_t bindAddress_ = 0;  // host byte order
  uint16_t boundPort_ = 0;
  int receiveBufferBytes_ = 0;

  int64_t rejoinIntervalNs_ = 0;
  int64_t nextRejoinNs_ = 0;
  uint64_t rejoins_ = 0;
  uint64_t rejoinFailures_ = 0;
  std::string rejoinError_;
  std::string lastError_;
  int64_t lastArrivalNs_ = 0;
  std::unique_ptr<Batch> batch_;
};

}  // namespace scream::receiver
