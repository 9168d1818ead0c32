#include "udp_input.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <vector>

namespace scream::receiver {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr int64_t kRejoinRetryNs = kNsPerSecond;
// A flood could keep the queue non-empty forever; return to the caller now and then (it polls
// again at once) so its stop flag and the re-join timer are still looked at.
constexpr int kMaxBatchesPerCall = 64;

int64_t clockNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return int64_t{ts.tv_sec} * kNsPerSecond + ts.tv_nsec;
}

std::string errnoText(int error) {
  return std::strerror(error);
}

std::string ipv4Text(uint32_t hostOrder) {
  return SourceAddress{hostOrder, 0}.toString();
}

sockaddr_in socketAddress(uint32_t hostOrder, uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(hostOrder);
  address.sin_port = htons(port);
  return address;
}

// Milliseconds for poll() until deadlineNs, rounded up so a wake-up is never early.
int msUntil(int64_t deadlineNs, int64_t nowNs) {
  if (deadlineNs <= nowNs) return 0;
  const int64_t ms = (deadlineNs - nowNs + kNsPerMs - 1) / kNsPerMs;
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

// Errors that mean the socket itself is unusable; anything else (ENOMEM, a queued ICMP error,
// EINTR) is retried on the next call.
bool isFatal(int error) {
  return error == EBADF || error == EFAULT || error == EINVAL || error == ENOTSOCK;
}

}  // namespace

struct UdpInput::Batch {
  size_t slotBytes = 0;
  std::unique_ptr<uint8_t[]> payload;
  std::vector<mmsghdr> messages;
  std::vector<iovec> iovecs;
  std::vector<sockaddr_in> senders;
  std::vector<uint8_t> control;
  static constexpr size_t kControlBytes = CMSG_SPACE(sizeof(timespec));

  explicit Batch(size_t bytesPerSlot)
      : slotBytes(bytesPerSlot),
        // Not value-initialised: the kernel writes only what arrives, so a 1157-byte datagram
        // touches one page of its 64 KiB slot and resident memory stays small.
        payload(std::make_unique_for_overwrite<uint8_t[]>(kBatch * bytesPerSlot)),
        messages(kBatch),
        iovecs(kBatch),
        senders(kBatch),
        control(kBatch * kControlBytes) {
    for (unsigned i = 0; i < kBatch; ++i) {
      iovecs[i] = {payload.get() + i * slotBytes, slotBytes};
      msghdr& header = messages[i].msg_hdr;
      header.msg_iov = &iovecs[i];
      header.msg_iovlen = 1;
      header.msg_name = &senders[i];
    }
  }

  // recvmmsg overwrites the lengths and flags; restore them before each call.
  void rearm() {
    for (unsigned i = 0; i < kBatch; ++i) {
      msghdr& header = messages[i].msg_hdr;
      header.msg_namelen = sizeof(sockaddr_in);
      header.msg_control = control.data() + i * kControlBytes;
      header.msg_controllen = kControlBytes;
      header.msg_flags = 0;
      messages[i].msg_len = 0;
    }
  }
};

UdpInput::UdpInput() = default;

UdpInput::~UdpInput() {
  if (fd_ < 0) return;
  if (joined_) {
    // close() would leave the group as well; doing it explicitly keeps the intent visible.
    ip_mreqn membership{};
    membership.imr_multiaddr.s_addr = htonl(group_);
    if (interface_) membership.imr_ifindex = static_cast<int>(interface_->index);
    setsockopt(fd_, IPPROTO_IP, IP_DROP_MEMBERSHIP, &membership, sizeof membership);
  }
  ::close(fd_);
}

std::unique_ptr<UdpInput> UdpInput::open(const InputConfig& config, std::string* error) {
  std::unique_ptr<UdpInput> input(new UdpInput());
  std::string message;
  if (!input->setUp(config, &message)) {
    if (error != nullptr) *error = std::move(message);
    return nullptr;
  }
  return input;
}

bool UdpInput::setUp(const InputConfig& config, std::string* error) {
  multicast_ = config.multicast;
  if (multicast_) {
    in_addr group{};
    if (inet_pton(AF_INET, config.group.c_str(), &group) != 1 ||
        !IN_MULTICAST(ntohl(group.s_addr))) {
      *error = config.group + " is not an IPv4 multicast group";
      return false;
    }
    group_ = ntohl(group.s_addr);
  }
  if (config.maxDatagramBytes == 0) {
    *error = "maximum datagram size must be at least 1 byte";
    return false;
  }

  interfaceText_ = config.interface;
  if (!interfaceText_.empty()) {
    interface_ = resolveInterface(interfaceText_, error);
    if (!interface_) return false;
    if (!multicast_ && interface_->ipv4 == 0) {
      *error = "interface '" + interface_->name + "' has no IPv4 address to bind to";
      return false;
    }
  }

  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *error = "cannot create a UDP socket: " + errnoText(errno);
    return false;
  }

  const int on = 1;
  // Multicast: several receivers on one host may play the same group. Unicast: no sharing, so a
  // second receiver on the port fails loudly instead of silently stealing the stream.
  if (multicast_) {
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    // Bound to the group (below) and without IP_MULTICAST_ALL, the socket sees only its group,
    // not unicast to the port nor other groups that another program joined on this host.
    const int off = 0;
    setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof off);
  }

  if (config.receiveBufferBytes > 0) {
    const int bytes = config.receiveBufferBytes;
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    }
  }
  int granted = 0;
  socklen_t grantedSize = sizeof granted;
  getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &granted, &grantedSize);
  // The kernel doubles the request for bookkeeping overhead and getsockopt reports the doubled
  // figure; halve it so it compares with what was asked for.
  receiveBufferBytes_ = granted / 2;

  // Without kernel timestamps, arrival falls back to the time of the recvmmsg call.
  setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);

  bindAddress_ = multicast_ ? group_ : (interface_ ? interface_->ipv4 : INADDR_ANY);
  const sockaddr_in bindTo = socketAddress(bindAddress_, config.port);
  if (bind(fd_, reinterpret_cast<const sockaddr*>(&bindTo), sizeof bindTo) != 0) {
    *error = "cannot bind UDP port " + std::to_string(config.port) + " on " +
             ipv4Text(bindAddress_) + ": " + errnoText(errno);
    return false;
  }
  sockaddr_in bound{};
  socklen_t boundSize = sizeof bound;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &boundSize);
  boundPort_ = ntohs(bound.sin_port);

  if (multicast_) {
    if (!join(error)) return false;
    joined_ = true;
    if (config.rejoinSeconds > 0) {
      const double seconds = std::min(config.rejoinSeconds, 1e9);  // keeps the ns count in range
      rejoinIntervalNs_ = std::max<int64_t>(1, std::llround(seconds * kNsPerSecond));
      nextRejoinNs_ = clockNs(CLOCK_MONOTONIC) + rejoinIntervalNs_;
    }
  }

  batch_ = std::make_unique<Batch>(config.maxDatagramBytes);
  return true;
}

bool UdpInput::join(std::string* error) {
  ip_mreqn membership{};
  membership.imr_multiaddr.s_addr = htonl(group_);
  if (interface_) {
    membership.imr_ifindex = static_cast<int>(interface_->index);
    membership.imr_address.s_addr = htonl(interface_->ipv4);
  }
  if (setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &membership, sizeof membership) == 0) {
    return true;
  }
  const int code = errno;
  *error = "cannot join multicast group " + ipv4Text(group_) + " on " +
           (interface_ ? interface_->name : std::string("any interface")) + ": " + errnoText(code);
  if (code == ENODEV && !interface_) *error += " (no route to the group; choose an interface)";
  return false;
}

void UdpInput::rejoinIfDue(int64_t nowNs) {
  if (!joined_ || rejoinIntervalNs_ == 0 || nowNs < nextRejoinNs_) return;
  // Only a membership that goes away and comes back makes the kernel send a fresh unsolicited
  // report. The drop fails harmlessly when the membership vanished with its interface.
  ip_mreqn membership{};
  membership.imr_multiaddr.s_addr = htonl(group_);
  if (interface_) membership.imr_ifindex = static_cast<int>(interface_->index);
  setsockopt(fd_, IPPROTO_IP, IP_DROP_MEMBERSHIP, &membership, sizeof membership);

  std::string error;
  bool ok = join(&error);
  if (!ok && !interfaceText_.empty()) {
    // The interface may have been re-created under a new index (USB adapter, VPN, hotplug).
    std::string ignored;
    if (auto again = resolveInterface(interfaceText_, &ignored)) {
      interface_ = std::move(again);
      ok = join(&error);
    }
  }
  if (ok) {
    ++rejoins_;
    rejoinError_.clear();
    nextRejoinNs_ = nowNs + rejoinIntervalNs_;
  } else {
    ++rejoinFailures_;
    rejoinError_ = std::move(error);
    nextRejoinNs_ = nowNs + std::min(rejoinIntervalNs_, kRejoinRetryNs);
  }
}

int UdpInput::receive(int timeoutMs, const std::function<void(const Datagram&)>& handler) {
  int64_t now = clockNs(CLOCK_MONOTONIC);
  const int64_t deadline = timeoutMs < 0 ? INT64_MAX : now + int64_t{timeoutMs} * kNsPerMs;
  for (;;) {
    rejoinIfDue(now);
    int waitMs = timeoutMs < 0 ? -1 : msUntil(deadline, now);
    if (joined_ && rejoinIntervalNs_ > 0) {
      const int untilRejoin = msUntil(nextRejoinNs_, now);
      waitMs = waitMs < 0 ? untilRejoin : std::min(waitMs, untilRejoin);
    }
    pollfd poller{fd_, POLLIN, 0};
    const int ready = poll(&poller, 1, waitMs);
    if (ready < 0) {
      if (errno == EINTR) return 0;  // let the caller look at its stop flag
      lastError_ = "waiting for datagrams failed: " + errnoText(errno);
      return -1;
    }
    if (ready > 0) {
      if (poller.revents & POLLNVAL) {
        lastError_ = "the network socket was closed";
        return -1;
      }
      return drain(handler);
    }
    now = clockNs(CLOCK_MONOTONIC);
    if (now >= deadline) {
      rejoinIfDue(now);
      return 0;
    }
  }
}

int UdpInput::drain(const std::function<void(const Datagram&)>& handler) {
  Batch& batch = *batch_;
  int delivered = 0;
  for (int round = 0; round < kMaxBatchesPerCall; ++round) {
    batch.rearm();
    const int count = recvmmsg(fd_, batch.messages.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (count < 0) {
      const int code = errno;
      if (isFatal(code)) {
        lastError_ = "receiving from the network failed: " + errnoText(code);
        return -1;
      }
      break;  // EAGAIN: drained; anything else is retried next call
    }

    // Kernel timestamps are CLOCK_REALTIME. One offset per batch, taken after the datagrams
    // arrived, maps them to CLOCK_MONOTONIC; the two monotonic reads bracket the realtime one.
    const int64_t monoBefore = clockNs(CLOCK_MONOTONIC);
    const int64_t real = clockNs(CLOCK_REALTIME);
    const int64_t monoAfter = clockNs(CLOCK_MONOTONIC);
    const int64_t realToMono = monoBefore + (monoAfter - monoBefore) / 2 - real;

    for (int i = 0; i < count; ++i) {
      msghdr& header = batch.messages[i].msg_hdr;
      int64_t arrival = monoAfter;
      for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec stamp{};
          std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
          const int64_t stampNs = int64_t{stamp.tv_sec} * kNsPerSecond + stamp.tv_nsec;
          if (stampNs != 0) arrival = stampNs + realToMono;
        }
      }
      // A realtime clock step between stamping and now would move the estimate; clamp to the
      // receipt time and keep the sequence non-decreasing for the clock estimator.
      arrival = std::clamp(arrival, lastArrivalNs_, std::max(lastArrivalNs_, monoAfter));
      lastArrivalNs_ = arrival;

      const sockaddr_in& sender = batch.senders[i];
      Datagram datagram;
      datagram.data = batch.payload.get() + static_cast<size_t>(i) * batch.slotBytes;
      datagram.size = std::min<size_t>(batch.messages[i].msg_len, batch.slotBytes);
      datagram.from = {ntohl(sender.sin_addr.s_addr), ntohs(sender.sin_port)};
      datagram.arrivalNs = arrival;
      datagram.truncated = (header.msg_flags & MSG_TRUNC) != 0;
      handler(datagram);
    }
    delivered += count;
    if (count < static_cast<int>(kBatch)) break;
  }
  return delivered;
}

std::string UdpInput::describe() const {
  if (multicast_) {
    std::string text = "multicast " + SourceAddress{group_, boundPort_}.toString() + " on ";
    if (!interface_) return text + "any interface";
    text += interface_->name;
    if (interface_->ipv4 != 0) text += " (" + ipv4Text(interface_->ipv4) + ")";
    return text;
  }
  std::string text = "unicast " + ipv4Text(bindAddress_) + ":" + std::to_string(boundPort_);
  if (interface_) text += " on " + interface_->name;
  return text;
}

}  // namespace scream::receiver
