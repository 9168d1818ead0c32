// Multicast tests. Each runs in a forked child inside its own network namespace that has only lo
// (plus, for the IGMP test, a veth pair whose both ends stay in that namespace), so no group
// traffic or IGMP report can reach a real network. They need root and skip otherwise.
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "net_test_util.h"
#include "receivers/core/udp_input.h"

namespace scream::receiver {
namespace {

using test::ChildReport;
using test::kDefaultGroup;
using test::kLoopback;
using test::numberedDatagram;
using test::sequenceOf;
using test::UdpSender;

constexpr int64_t kMs = 1'000'000;

#define SKIP_UNLESS_ROOT()                                                 \
  if (geteuid() != 0)                                                      \
  GTEST_SKIP() << "needs root: multicast is only tested inside a private " \
                  "network namespace (unshare CLONE_NEWNET)"

void expectPassed(const std::string& result) {
  if (result.rfind("SKIP: ", 0) == 0) GTEST_SKIP() << result.substr(6);
  EXPECT_EQ(result, "");
}

// Whether /proc/net/igmp (of the current namespace) lists group on the named device.
bool igmpMembership(const std::string& device, uint32_t group) {
  std::ifstream file("/proc/net/igmp");
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08X", htonl(group));  // printed as the raw network-order word
  std::string line, current;
  while (std::getline(file, line)) {
    if (line.empty()) continue;
    if (line[0] != '\t') {  // "1\tlo        :     2      V3"
      std::istringstream fields(line);
      std::string index;
      fields >> index >> current;
    } else if (line.find(hex) != std::string::npos && current == device) {
      return true;
    }
  }
  return false;
}

InputConfig multicastConfig(std::string interface) {
  InputConfig config;  // default group and port: safe, the namespace has no way out
  config.interface = std::move(interface);
  config.rejoinSeconds = 0;
  return config;
}

// Sends `count` numbered datagrams to the group and receives them; returns how many arrived in
// order from the sender.
int sendAndReceive(UdpInput& input, const UdpSender& sender, uint32_t to, int count,
                   ChildReport& report) {
  for (int i = 0; i < count; ++i) {
    report.expect(sender.send(to, input.boundPort(), numberedDatagram(i)), "sendto failed");
  }
  int inOrder = 0;
  const int64_t deadline = monotonicNs() + 1000 * kMs;
  while (inOrder < count && monotonicNs() < deadline) {
    input.receive(100, [&](const Datagram& d) {
      if (d.from == SourceAddress{kLoopback, sender.port()} &&
          sequenceOf(d.data) == static_cast<uint32_t>(inOrder)) {
        ++inOrder;
      }
    });
  }
  return inOrder;
}

TEST(UdpInputMulticast, JoinsOnLoAndReceivesGroupTraffic) {
  SKIP_UNLESS_ROOT();
  expectPassed(test::runInPrivateNetwork([](ChildReport& report) {
    std::string error;
    {
      auto input = UdpInput::open(multicastConfig("lo"), &error);
      if (!input) return report.expect(false, "open: " + error);
      report.expect(input->describe() == "multicast 239.255.77.77:4010 on lo (127.0.0.1)",
                    "describe: " + input->describe());
      report.expect(igmpMembership("lo", kDefaultGroup), "no membership in /proc/net/igmp");
      UdpSender sender;
      const int got = sendAndReceive(*input, sender, kDefaultGroup, 5, report);
      report.expect(got == 5, "received " + std::to_string(got) + " of 5");
    }
    report.expect(!igmpMembership("lo", kDefaultGroup), "membership left after destruction");
  }));
}

TEST(UdpInputMulticast, InterfaceByAddressAndAnyInterfaceJoinToo) {
  SKIP_UNLESS_ROOT();
  expectPassed(test::runInPrivateNetwork([](ChildReport& report) {
    // "" relies on the namespace's 224.0.0.0/4 route to lo.
    for (const char* interface : {"127.0.0.1", ""}) {
      std::string error;
      auto input = UdpInput::open(multicastConfig(interface), &error);
      if (!input) return report.expect(false, std::string(interface) + " open: " + error);
      UdpSender sender;
      const int got = sendAndReceive(*input, sender, kDefaultGroup, 3, report);
      report.expect(got == 3, std::string(interface) + ": received " + std::to_string(got));
    }
  }));
}

TEST(UdpInputMulticast, JoinWithoutARouteGivesAClearMessage) {
  SKIP_UNLESS_ROOT();
  expectPassed(test::runInPrivateNetwork([](ChildReport& report) {
    // 224/4 is routed to lo, 0.0.0.0/0 is not routed at all here... but a group always matches
    // 224/4, so delete that route first to see what a host without routes reports.
    const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    rtentry route{};
    const sockaddr_in destination = test::ipv4Address(0xE0000000, 0);
    const sockaddr_in mask = test::ipv4Address(0xF0000000, 0);
    std::memcpy(&route.rt_dst, &destination, sizeof destination);
    std::memcpy(&route.rt_genmask, &mask, sizeof mask);
    char lo[] = "lo";
    route.rt_dev = lo;
    report.expect(ioctl(s, SIOCDELRT, &route) == 0, "cannot delete the 224/4 route");
    close(s);
    std::string error;
    auto input = UdpInput::open(multicastConfig(""), &error);
    report.expect(input == nullptr, "joined without a route");
    report.expect(error ==
                      "cannot join multicast group 239.255.77.77 on any interface: No such "
                      "device (no route to the group; choose an interface)",
                  "message: " + error);
  }));
}

// Sends `stray` (which must not arrive), then one datagram to the group; returns the sequence
// numbers received. The group datagram goes last, so once it is here the stray one would be too.
std::vector<uint32_t> strayThenGroup(UdpInput& input, const UdpSender& sender, uint32_t strayTo,
                                     ChildReport& report) {
  report.expect(sender.send(strayTo, 4010, numberedDatagram(100)), "send stray");
  report.expect(sender.send(kDefaultGroup, 4010, numberedDatagram(0)), "send own group");
  std::vector<uint32_t> seen;
  const auto collect = [&](const Datagram& d) { seen.push_back(sequenceOf(d.data)); };
  const int64_t deadline = monotonicNs() + 1000 * kMs;
  while (seen.empty() && monotonicNs() < deadline) input.receive(100, collect);
  input.receive(20, collect);
  return seen;
}

TEST(UdpInputMulticast, SeesOnlyItsGroupNotUnicastOrOtherGroups) {
  SKIP_UNLESS_ROOT();
  expectPassed(test::runInPrivateNetwork([](ChildReport& report) {
    std::string error;
    auto input = UdpInput::open(multicastConfig("lo"), &error);
    if (!input) return report.expect(false, "open: " + error);
    UdpSender sender;
    const std::vector<uint32_t> onlyGroup{0};
    // Unicast to the port: nobody else listens, so only the group binding keeps it out.
    report.expect(strayThenGroup(*input, sender, kLoopback, report) == onlyGroup,
                  "unicast to the port was delivered");

    // Another program on this host joins another group on the same port.
    InputConfig otherConfig = multicastConfig("lo");
    otherConfig.group = "239.1.1.1";
    auto other = UdpInput::open(otherConfig, &error);
    if (!other) return report.expect(false, "open other: " + error);
    report.expect(strayThenGroup(*input, sender, 0xEF010101, report) == onlyGroup,
                  "another group's datagram was delivered");
    int otherGot = 0;
    other->receive(100, [&](const Datagram& d) { otherGot += sequenceOf(d.data) == 100; });
    report.expect(otherGot == 1, "the other group's member did not get its datagram");
  }));
}

TEST(UdpInputMulticast, TwoReceiversShareTheGroupAndPort) {
  SKIP_UNLESS_ROOT();
  expectPassed(test::runInPrivateNetwork([](ChildReport& report) {
    std::string error;
    auto first = UdpInput::open(multicastConfig("lo"), &error);
    auto second = first ? UdpInput::open(multicastConfig("lo"), &error) : nullptr;
    if (!first || !second) return report.expect(false, "open: " + error);
    UdpSender sender;
    report.expect(sendAndReceive(*first, sender, kDefaultGroup, 3, report) == 3, "first");
    int secondGot = 0;
    second->receive(100, [&](const Datagram&) { ++secondGot; });
    report.expect(secondGot == 3, "second got " + std::to_string(secondGot));
  }));
}

TEST(UdpInputMulticast, RejoinsPeriodicallyWithoutLosingPackets) {
  SKIP_UNLESS_ROOT();
  expectPassed(test::runInPrivateNetwork([](ChildReport& report) {
    InputConfig config = multicastConfig("lo");
    config.rejoinSeconds = 0.2;
    std::string error;
    auto input = UdpInput::open(config, &error);
    if (!input) return report.expect(false, "open: " + error);
    UdpSender sender;
    uint32_t sent = 0, received = 0;
    bool inOrder = true;
    const int64_t end = monotonicNs() + 1100 * kMs;
    while (monotonicNs() < end) {
      report.expect(sender.send(kDefaultGroup, 4010, numberedDatagram(sent++)), "sendto");
      input->receive(10, [&](const Datagram& d) { inOrder &= sequenceOf(d.data) == received++; });
    }
    input->receive(50, [&](const Datagram& d) { inOrder &= sequenceOf(d.data) == received++; });
    report.expect(input->rejoins() >= 4 && input->rejoins() <= 6,
                  "rejoins " + std::to_string(input->rejoins()) + ", expected ~5 in 1.1 s");
    report.expect(input->rejoinFailures() == 0, "rejoin failed: " + input->rejoinError());
    report.expect(received == sent && inOrder, "received " + std::to_string(received) + " of " +
                                                   std::to_string(sent) + " in order");
    report.expect(igmpMembership("lo", kDefaultGroup), "membership gone after rejoins");
  }));
}

// Counts IGMPv3 membership reports for group that arrive on an AF_PACKET socket.
int countReports(int packetSocket, uint32_t group) {
  int reports = 0;
  uint8_t frame[2048];
  for (;;) {
    const ssize_t n = recv(packetSocket, frame, sizeof frame, MSG_DONTWAIT);
    if (n <= 0) return reports;
    const size_t ihl = (frame[0] & 0x0Fu) * 4u;
    if (n < static_cast<ssize_t>(ihl + 16) || frame[9] != IPPROTO_IGMP) continue;
    const uint8_t* igmp = frame + ihl;
    uint32_t recordGroup = 0;
    std::memcpy(&recordGroup, igmp + 12, 4);  // first group record's multicast address
    if (igmp[0] == 0x22 && ntohl(recordGroup) == group) ++reports;
  }
}

// What the re-join is for: IGMP-snooping switches forget the membership unless the host
// reports it again. lo never sends IGMP, so this joins on one end of a veth pair and watches the
// other end; both ends live in the private namespace.
TEST(UdpInputMulticast, EachRejoinSendsAFreshMembershipReport) {
  SKIP_UNLESS_ROOT();
  expectPassed(test::runInPrivateNetwork([](ChildReport& report) {
    if (std::system("ip link add scrA type veth peer name scrB 2>/dev/null") != 0) {
      return report.skip("cannot create a veth pair (no veth support or no 'ip' tool)");
    }
    const int setup = std::system(
        "ip addr add 10.77.0.1/24 dev scrA && ip addr add 10.77.0.2/24 dev scrB && "
        "ip link set scrA up && ip link set scrB up");
    if (setup != 0) return report.expect(false, "veth setup failed");

    const int capture = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
    sockaddr_ll at{};
    at.sll_family = AF_PACKET;
    at.sll_protocol = htons(ETH_P_IP);
    at.sll_ifindex = static_cast<int>(if_nametoindex("scrB"));
    if (capture < 0 || bind(capture, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) {
      return report.expect(false, "cannot capture on scrB");
    }

    InputConfig config = multicastConfig("scrA");
    config.rejoinSeconds = 0.2;
    std::string error;
    auto input = UdpInput::open(config, &error);
    if (!input) return report.expect(false, "open: " + error);
    report.expect(input->describe() == "multicast 239.255.77.77:4010 on scrA (10.77.0.1)",
                  "describe: " + input->describe());
    const int64_t end = monotonicNs() + 1100 * kMs;
    while (monotonicNs() < end) input->receive(50, [](const Datagram&) {});
    poll(nullptr, 0, 20);  // let the last report cross the veth pair
    const int reports = countReports(capture, kDefaultGroup);
    close(capture);
    // Joining alone sends 2 reports (the initial one and one retransmission); every re-join
    // adds at least one immediately.
    report.expect(input->rejoins() >= 4, "rejoins " + std::to_string(input->rejoins()));
    report.expect(reports >= static_cast<int>(input->rejoins()) + 1,
                  "saw " + std::to_string(reports) + " IGMP reports for " +
                      std::to_string(input->rejoins()) + " re-joins");
  }));
}

}  // namespace
}  // namespace scream::receiver
