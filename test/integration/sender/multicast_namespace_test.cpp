// Multicast, including the default group 239.255.77.77, only ever inside a private network
// namespace (a forked child that called unshare(CLONE_NEWNET)): nothing can leave the machine.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "protocol/header.h"
#include "sender_harness.h"

namespace scream::test {
namespace {

constexpr int kSkip = 77;

// Runs `body` in a forked child inside a fresh network namespace with only `lo`, multicast
// routed to it. Returns the child's exit code (kSkip when the namespace cannot be made).
template <class Body>
int inPrivateNetwork(Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNET) != 0) _exit(kSkip);
    // Only after unshare succeeded: from here on no packet can reach a real network.
    if (std::system("ip link set lo up && ip link set lo multicast on && "
                    "ip route add 224.0.0.0/4 dev lo") != 0) {
      _exit(kSkip);
    }
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

// The child reports through its exit code: 0 ok, 1-9 which check failed.
int sendToDefaultGroup(const char* interface) {
  UdpCapture rx("0.0.0.0", 4010);
  if (!rx.join("239.255.77.77", "127.0.0.1")) return 1;
  rx.start();
  // No --dest/--port: the defaults, 239.255.77.77:4010.
  const auto result = runSender(
      {"--source", "tone", "--duration", "0.072", "--interface", interface, "--ttl", "1"}, 10000);
  const auto datagrams = rx.finish(100);
  if (result.exitCode != 0) return 2;
  if (datagrams.size() != 12) return 3;  // 3456 frames * 4 bytes = 12 full payloads
  uint8_t header[protocol::kHeaderBytes];
  protocol::encodeHeader(protocol::Format{48000, 16, 2, 0x3}, header);
  for (const auto& d : datagrams) {
    if (d.bytes.size() != protocol::kDatagramBytes) return 4;
    if (!std::equal(header, header + protocol::kHeaderBytes, d.bytes.begin())) return 5;
    if (d.ttl != 1) return 6;
  }
  if (result.err.find("239.255.77.77:4010 (multicast") == std::string::npos) return 7;
  return 0;
}

void expectInNamespace(int code) {
  if (code == kSkip) GTEST_SKIP() << "no private network namespace (needs root and ip)";
  EXPECT_EQ(code, 0) << "check " << code << " failed in the namespace";
}

TEST(ScreamSendMulticast, DefaultGroupWithInterfaceAddress) {
  expectInNamespace(inPrivateNetwork([] { return sendToDefaultGroup("127.0.0.1"); }));
}

TEST(ScreamSendMulticast, DefaultGroupWithInterfaceName) {
  expectInNamespace(inPrivateNetwork([] { return sendToDefaultGroup("lo"); }));
}

}  // namespace
}  // namespace scream::test
