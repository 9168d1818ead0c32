// scream-relay: a UDP forwarder between a sender and a receiver on 127.0.0.1 that impairs the
// stream (seeded jitter, loss, duplication, reordering, stalls; see impairment.h). On SIGTERM or
// SIGINT it writes what it did as one JSON object to --stats-out (or stderr) and exits 0.
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "impairment.h"

namespace {

volatile sig_atomic_t stopRequested = 0;
void onSignal(int) { stopRequested = 1; }

int64_t nowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

void writeStats(const std::string& path, const scream::bench::ImpairmentCounts& c) {
  std::FILE* f = path.empty() ? stderr : std::fopen(path.c_str(), "w");
  if (!f) return;
  std::fprintf(f,
               "{\"received\":%llu,\"dropped\":%llu,\"duplicated\":%llu,\"reordered\":%llu,"
               "\"stalled\":%llu,\"sent\":%llu}\n",
               static_cast<unsigned long long>(c.received), static_cast<unsigned long long>(c.dropped),
               static_cast<unsigned long long>(c.duplicated),
               static_cast<unsigned long long>(c.reordered),
               static_cast<unsigned long long>(c.stalled), static_cast<unsigned long long>(c.sent));
  if (f != stderr) std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  scream::bench::ImpairmentConfig config;
  uint16_t listenPort = 0, toPort = 0;
  std::string statsOut;
  CLI::App app{"UDP relay on 127.0.0.1 that adds seeded, reproducible network impairments"};
  app.add_option("--listen", listenPort, "UDP port on 127.0.0.1 to receive on")->required();
  app.add_option("--to", toPort, "UDP port on 127.0.0.1 to forward to")->required();
  app.add_option("--seed", config.seed, "Random seed")->capture_default_str();
  app.add_option("--jitter-ms", config.jitterMs, "Uniform extra delay 0..MS for every datagram");
  app.add_option("--burst-jitter-ms", config.burstJitterMs, "Uniform extra delay 0..MS in a burst");
  app.add_option("--burst-jitter-pct", config.burstJitterPct, "Chance (%) a jitter burst starts");
  app.add_option("--burst-jitter-length", config.burstJitterLength, "Datagrams per jitter burst");
  app.add_option("--loss-pct", config.lossPct, "Independent loss (%)");
  app.add_option("--burst-loss-pct", config.burstLossPct, "Chance (%) a loss burst starts");
  app.add_option("--burst-loss-length", config.burstLossLength, "Datagrams lost per burst");
  app.add_option("--duplicate-pct", config.duplicatePct, "Datagrams sent twice (%)");
  app.add_option("--reorder-pct", config.reorderPct, "Datagrams held back and overtaken (%)");
  app.add_option("--reorder-ms", config.reorderMs, "How long a reordered datagram is held");
  app.add_option("--stall-ms", config.stallMs, "Nothing leaves for MS ...");
  app.add_option("--stall-every-ms", config.stallEveryMs, "... every MS");
  app.add_option("--stats-out", statsOut, "Write the counts as JSON here on exit");
  CLI11_PARSE(app, argc, argv);

  const int in = socket(AF_INET, SOCK_DGRAM, 0);
  const int out = socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in listenAddr = loopback(listenPort);
  if (in < 0 || out < 0 ||
      bind(in, reinterpret_cast<const sockaddr*>(&listenAddr), sizeof listenAddr) != 0) {
    std::fprintf(stderr, "scream-relay: cannot bind 127.0.0.1:%u: %s\n", listenPort,
                 std::strerror(errno));
    return 1;
  }
  const int bufferBytes = 1 << 20;
  setsockopt(in, SOL_SOCKET, SO_RCVBUF, &bufferBytes, sizeof bufferBytes);
  const sockaddr_in toAddr = loopback(toPort);
  struct sigaction action{};
  action.sa_handler = onSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  scream::bench::Impairment impairment(config);
  std::multimap<int64_t, std::vector<uint8_t>> queue;  // departure time -> datagram
  std::vector<uint8_t> buffer(65536);
  while (!stopRequested) {
    int64_t waitNs = 100000000;
    if (!queue.empty()) waitNs = std::max<int64_t>(0, queue.begin()->first - nowNs());
    const timespec timeout{static_cast<time_t>(waitNs / 1000000000), static_cast<long>(waitNs % 1000000000)};
    pollfd p{in, POLLIN, 0};
    if (ppoll(&p, 1, &timeout, nullptr) > 0 && (p.revents & POLLIN)) {
      const ssize_t n = recv(in, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n > 0) {
        const int64_t arrival = nowNs();
        for (const auto& d : impairment.decide(arrival))
          queue.emplace(d.atNs, std::vector<uint8_t>(buffer.begin(), buffer.begin() + n));
      }
    }
    const int64_t now = nowNs();
    while (!queue.empty() && queue.begin()->first <= now) {
      const auto& datagram = queue.begin()->second;
      if (sendto(out, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&toAddr),
                 sizeof toAddr) >= 0)
        impairment.countSent();
      queue.erase(queue.begin());
    }
  }
  writeStats(statsOut, impairment.counts());
  close(in);
  close(out);
  return 0;
}
