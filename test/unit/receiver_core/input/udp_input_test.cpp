// Unicast tests on 127.0.0.1: they need no privileges and never leave the machine.
#include "receivers/core/udp_input.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include <fstream>

#include "net_test_util.h"

namespace scream::receiver {
namespace {

using test::kLoopback;
using test::numberedDatagram;
using test::sequenceOf;
using test::UdpSender;

constexpr int64_t kMs = 1'000'000;

InputConfig unicastConfig(std::string interface = "127.0.0.1") {
  InputConfig config;
  config.multicast = false;
  config.port = 0;  // ephemeral: tests run in parallel
  config.interface = std::move(interface);
  return config;
}

std::unique_ptr<UdpInput> openOrFail(const InputConfig& config) {
  std::string error;
  auto input = UdpInput::open(config, &error);
  EXPECT_NE(input, nullptr) << error;
  return input;
}

struct Received {
  std::vector<uint8_t> bytes;
  SourceAddress from;
  int64_t arrivalNs;
  int64_t handledNs;  // CLOCK_MONOTONIC when the handler ran
  bool truncated;
};

// Calls receive() until `count` datagrams arrived or 2 s passed.
std::vector<Received> receiveCount(UdpInput& input, size_t count, std::vector<int>* perCall = {}) {
  std::vector<Received> got;
  const int64_t deadline = monotonicNs() + 2000 * kMs;
  while (got.size() < count && monotonicNs() < deadline) {
    const int n = input.receive(100, [&](const Datagram& d) {
      got.push_back({std::vector<uint8_t>(d.data, d.data + d.size), d.from, d.arrivalNs,
                     monotonicNs(), d.truncated});
    });
    if (n < 0) break;
    if (perCall && n > 0) perCall->push_back(n);
  }
  return got;
}

TEST(UdpInput, DeliversBytesSenderAndArrivalTime) {
  auto input = openOrFail(unicastConfig());
  ASSERT_NE(input, nullptr);
  ASSERT_NE(input->boundPort(), 0);
  UdpSender sender;
  const std::vector<std::vector<uint8_t>> sent = {numberedDatagram(1), numberedDatagram(2, 9),
                                                  numberedDatagram(3, 4000)};
  for (const auto& d : sent) ASSERT_TRUE(sender.send(kLoopback, input->boundPort(), d));

  const auto got = receiveCount(*input, sent.size());
  ASSERT_EQ(got.size(), sent.size());
  int64_t previous = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].bytes, sent[i]) << i;
    EXPECT_EQ(got[i].from, (SourceAddress{kLoopback, sender.port()})) << i;
    EXPECT_FALSE(got[i].truncated);
    // Kernel stamp mapped to CLOCK_MONOTONIC: not after the handler saw it, and recent.
    EXPECT_LE(got[i].arrivalNs, got[i].handledNs) << i;
    EXPECT_LT(got[i].handledNs - got[i].arrivalNs, 50 * kMs) << i;
    EXPECT_GE(got[i].arrivalNs, previous) << i;
    previous = got[i].arrivalNs;
  }
}

TEST(UdpInput, ArrivalTimeIsTheKernelStampNotTheReadTime) {
  auto input = openOrFail(unicastConfig());
  ASSERT_NE(input, nullptr);
  UdpSender sender;
  // The kernel switches receive timestamping on from a work item after SO_TIMESTAMPNS, so while
  // no other socket on the host uses it the first datagrams may be stamped when read. A few
  // attempts get past that; a receiver that ignored the kernel stamp would fail every one.
  bool stampedOnArrival = false;
  for (int attempt = 0; attempt < 5 && !stampedOnArrival; ++attempt) {
    const int64_t sentAt = monotonicNs();
    ASSERT_TRUE(sender.send(kLoopback, input->boundPort(), numberedDatagram(attempt)));
    // Leave the datagram queued for a while: a read-time stamp would be >= 30 ms late.
    pollfd p{input->fd(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 1000), 1);
    const int64_t readyAt = monotonicNs();
    while (monotonicNs() < readyAt + 30 * kMs) poll(nullptr, 0, 30);
    const auto got = receiveCount(*input, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_GE(got[0].arrivalNs, sentAt - 1 * kMs);
    stampedOnArrival = got[0].arrivalNs <= readyAt + 1 * kMs;
  }
  EXPECT_TRUE(stampedOnArrival) << "arrival times are read times, not kernel stamps";
}

TEST(UdpInput, BurstOf500ArrivesInOrderInBatches) {
  auto input = openOrFail(unicastConfig());
  ASSERT_NE(input, nullptr);
  UdpSender sender;
  constexpr uint32_t kCount = 500;
  for (uint32_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(sender.send(kLoopback, input->boundPort(), numberedDatagram(i)));
  }
  std::vector<int> perCall;
  const auto got = receiveCount(*input, kCount, &perCall);
  ASSERT_EQ(got.size(), kCount) << "receive buffer " << input->receiveBufferBytes();
  for (uint32_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(sequenceOf(got[i].bytes.data()), i);
    if (i > 0) {
      ASSERT_GE(got[i].arrivalNs, got[i - 1].arrivalNs) << i;
    }
  }
  // Everything was queued before the first call, so one call drains several recvmmsg batches.
  ASSERT_FALSE(perCall.empty());
  EXPECT_GT(perCall.front(), static_cast<int>(UdpInput::kBatch));
}

TEST(UdpInput, InterfaceByNameOrAddressBindsUnicast) {
  for (const char* interface : {"lo", "127.0.0.1"}) {
    auto input = openOrFail(unicastConfig(interface));
    ASSERT_NE(input, nullptr) << interface;
    EXPECT_EQ(input->describe(),
              "unicast 127.0.0.1:" + std::to_string(input->boundPort()) + " on lo");
    UdpSender sender;
    ASSERT_TRUE(sender.send(kLoopback, input->boundPort(), numberedDatagram(7)));
    const auto got = receiveCount(*input, 1);
    ASSERT_EQ(got.size(), 1u) << interface;
    EXPECT_EQ(sequenceOf(got[0].bytes.data()), 7u);
  }
}

TEST(UdpInput, AnyInterfaceBindsTheWildcard) {
  auto input = openOrFail(unicastConfig(""));
  ASSERT_NE(input, nullptr);
  EXPECT_EQ(input->describe(), "unicast 0.0.0.0:" + std::to_string(input->boundPort()));
  UdpSender sender;
  ASSERT_TRUE(sender.send(kLoopback, input->boundPort(), numberedDatagram(9)));
  EXPECT_EQ(receiveCount(*input, 1).size(), 1u);
  EXPECT_EQ(input->rejoins(), 0u);  // unicast never joins
}

TEST(UdpInput, UnknownInterfaceIsReported) {
  std::string error;
  EXPECT_EQ(UdpInput::open(unicastConfig("nosuch9"), &error), nullptr);
  EXPECT_EQ(error, "interface 'nosuch9' does not exist");
  EXPECT_EQ(UdpInput::open(unicastConfig("192.0.2.1"), &error), nullptr);
  EXPECT_EQ(error, "no local interface has the address 192.0.2.1");
}

// These fail before any socket exists, so no join can happen outside a private namespace.
TEST(UdpInput, BadGroupIsReported) {
  for (const char* group : {"239.1.2.3x", "10.0.0.1", "", "ff02::1", "240.0.0.1"}) {
    InputConfig config;
    config.group = group;
    config.port = 0;
    std::string error;
    EXPECT_EQ(UdpInput::open(config, &error), nullptr) << group;
    EXPECT_EQ(error, std::string(group) + " is not an IPv4 multicast group");
  }
}

TEST(UdpInput, PortInUseIsReported) {
  // A socket without SO_REUSEADDR holds the port, as another program would.
  const int holder = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const sockaddr_in any = test::ipv4Address(0, 0);
  ASSERT_EQ(bind(holder, reinterpret_cast<const sockaddr*>(&any), sizeof any), 0);
  sockaddr_in bound{};
  socklen_t size = sizeof bound;
  getsockname(holder, reinterpret_cast<sockaddr*>(&bound), &size);
  const uint16_t port = ntohs(bound.sin_port);

  InputConfig config = unicastConfig("");
  config.port = port;
  std::string error;
  EXPECT_EQ(UdpInput::open(config, &error), nullptr);
  EXPECT_EQ(error,
            "cannot bind UDP port " + std::to_string(port) + " on 0.0.0.0: Address already in use");
  config.interface = "127.0.0.1";
  EXPECT_EQ(UdpInput::open(config, &error), nullptr);
  EXPECT_EQ(error, "cannot bind UDP port " + std::to_string(port) +
                       " on 127.0.0.1: Address already in use");
  close(holder);
}

TEST(UdpInput, SecondUnicastReceiverOnThePortFailsInsteadOfStealing) {
  auto first = openOrFail(unicastConfig());
  ASSERT_NE(first, nullptr);
  InputConfig config = unicastConfig();
  config.port = first->boundPort();
  std::string error;
  EXPECT_EQ(UdpInput::open(config, &error), nullptr);
  EXPECT_NE(error.find("Address already in use"), std::string::npos) << error;
}

TEST(UdpInput, TimeoutReturnsZeroPromptly) {
  auto input = openOrFail(unicastConfig());
  ASSERT_NE(input, nullptr);
  int calls = 0;
  const auto handler = [&](const Datagram&) { ++calls; };

  int64_t start = monotonicNs();
  EXPECT_EQ(input->receive(0, handler), 0);
  EXPECT_LT(monotonicNs() - start, 20 * kMs);

  start = monotonicNs();
  EXPECT_EQ(input->receive(50, handler), 0);
  const int64_t elapsed = monotonicNs() - start;
  EXPECT_GE(elapsed, 50 * kMs);
  EXPECT_LT(elapsed, 500 * kMs);
  EXPECT_EQ(calls, 0);
}

TEST(UdpInput, OversizedDatagramIsMarkedTruncated) {
  InputConfig config = unicastConfig();
  config.maxDatagramBytes = 2048;
  auto input = openOrFail(config);
  ASSERT_NE(input, nullptr);
  UdpSender sender;
  ASSERT_TRUE(sender.send(kLoopback, input->boundPort(), numberedDatagram(1, 3000)));
  ASSERT_TRUE(sender.send(kLoopback, input->boundPort(), numberedDatagram(2, 2048)));
  const auto got = receiveCount(*input, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].truncated);
  EXPECT_EQ(got[0].bytes.size(), 2048u);
  EXPECT_EQ(sequenceOf(got[0].bytes.data()), 1u);
  EXPECT_FALSE(got[1].truncated);
  EXPECT_EQ(got[1].bytes, numberedDatagram(2, 2048));
}

TEST(UdpInput, MaximumUdpDatagramFitsTheDefaultSlot) {
  auto input = openOrFail(unicastConfig());
  ASSERT_NE(input, nullptr);
  UdpSender sender;
  const auto largest = numberedDatagram(1, 65507);  // 65535 - IPv4 header - UDP header
  ASSERT_TRUE(sender.send(kLoopback, input->boundPort(), largest));
  const auto got = receiveCount(*input, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].truncated);
  EXPECT_EQ(got[0].bytes, largest);
}

TEST(UdpInput, ReceiveBufferIsForcedWhenPrivileged) {
  if (geteuid() != 0) GTEST_SKIP() << "SO_RCVBUFFORCE needs CAP_NET_ADMIN (run as root)";
  InputConfig config = unicastConfig();
  config.receiveBufferBytes = 16 << 20;  // above any usual net.core.rmem_max
  auto input = openOrFail(config);
  ASSERT_NE(input, nullptr);
  EXPECT_EQ(input->receiveBufferBytes(), 16 << 20);
}

int readRmemMax() {
  std::ifstream file("/proc/sys/net/core/rmem_max");
  int value = 0;
  file >> value;
  return value;
}

TEST(UdpInput, ReceiveBufferFallsBackToTheSystemCapWithoutPrivilege) {
  const int rmemMax = readRmemMax();
  ASSERT_GT(rmemMax, 0);
  const int requested = rmemMax + (1 << 20);
  // In a child, so dropping the capability cannot affect the other tests.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    syscall(SYS_capget, &header, data);
    data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
    syscall(SYS_capset, &header, data);
    InputConfig config = unicastConfig();
    config.receiveBufferBytes = requested;
    std::string error;
    auto input = UdpInput::open(config, &error);
    const int granted = input ? input->receiveBufferBytes() : -1;
    ssize_t unused = write(fds[1], &granted, sizeof granted);
    (void)unused;
    _exit(0);
  }
  close(fds[1]);
  int granted = -2;
  pollfd p{fds[0], POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10'000), 1);
  ASSERT_EQ(read(fds[0], &granted, sizeof granted), static_cast<ssize_t>(sizeof granted));
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  EXPECT_EQ(granted, rmemMax);
}

TEST(UdpInput, FatalSocketErrorIsReported) {
  auto input = openOrFail(unicastConfig());
  ASSERT_NE(input, nullptr);
  // Replace the socket with something that is not one: recvmmsg fails with ENOTSOCK.
  const int notASocket = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(notASocket, 0);
  ASSERT_EQ(dup2(notASocket, input->fd()), input->fd());
  close(notASocket);
  EXPECT_EQ(input->receive(100, [](const Datagram&) {}), -1);
  EXPECT_NE(input->lastError().find("Socket operation on non-socket"), std::string::npos)
      << input->lastError();
}

}  // namespace
}  // namespace scream::receiver
