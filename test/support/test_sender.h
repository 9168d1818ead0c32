// A Scream sender for tests: paced by CLOCK_MONOTONIC with absolute deadlines, optional clock
// offset in ppm and bursty sending like the Windows driver's timer. Sends the probe signal of
// TESTING.md (997 Hz on channel 0, 3 kHz marker bursts on channel 1) or seeded random PCM, to
// 127.0.0.1 only. Records what it sent so tests can compare.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "protocol/format.h"
#include "protocol/packet.h"

namespace scream::testing {

struct TestSenderConfig {
  uint16_t destPort = 0;
  uint16_t sourcePort = 0;  // 0: any
  protocol::Format format{48000, 16, 2, 0x3};
  double ppm = 0;           // sender clock runs fast (+) or slow (-) by this much
  double burstMs = 10;      // send everything due every burstMs (the driver's timer); 0: ~1 ms
  double seconds = 1;
  bool probe = true;        // false: seeded random PCM (for byte-exact checks)
  uint32_t seed = 1;
  bool recordPcm = false;   // keep every PCM byte sent (random mode)
};

struct SentMarker {
  uint64_t frame;
  int64_t productionNs;  // when the sender's clock produced the frame
  int64_t sendNs;        // when the datagram holding it left
};

class TestSender {
 public:
  explicit TestSender(const TestSenderConfig& config);
  ~TestSender();
  void start();
  void join();

  const std::vector<uint8_t>& pcm() const { return pcm_; }
  const std::vector<SentMarker>& markers() const { return markers_; }
  uint64_t datagrams() const { return datagrams_; }
  uint64_t frames() const { return frames_; }
  // Mean over frames of (send time - production time): what the sender itself holds back.
  double meanHoldMs() const { return holdCount_ ? holdSumMs_ / holdCount_ : 0; }
  // What the receiver's latency figure leaves out, end to end: the receiver measures each
  // datagram from when it would have come on time (the best its sender managed), to the middle
  // of its frames; a frame there was produced half a datagram and that best send delay earlier.
  double onTimeHoldMs() const { return halfDatagramMs_ + minSentAfterEndMs_; }
  int64_t startNs() const { return startNs_; }
  // The latest the sender's thread woke after a deadline: a late sender looks like jitter.
  double maxLatenessMs() const { return maxLatenessNs_ * 1e-6; }
  double maxLatenessAtSeconds() const { return maxLatenessAtNs_ * 1e-9; }

 private:
  void run();
  void generate(uint64_t firstFrame, size_t frames, std::vector<uint8_t>& out);

  TestSenderConfig config_;
  std::thread thread_;
  std::vector<uint8_t> pcm_;
  std::vector<SentMarker> markers_;
  uint64_t datagrams_ = 0;
  uint64_t frames_ = 0;
  double holdSumMs_ = 0;
  double holdCount_ = 0;
  double minSentAfterEndMs_ = 1e9, halfDatagramMs_ = 0;
  int64_t startNs_ = 0;
  int64_t maxLatenessNs_ = 0;
  int64_t maxLatenessAtNs_ = 0;
  uint32_t rng_;
};

struct MalformedOptions {
  int64_t spacingNs = 0;              // pause between datagrams (0: as fast as possible)
  uint32_t sourceIpv4 = 0x7F000001;   // a loopback address to send from (any of 127.0.0.0/8)
};

// Datagrams sent, indexed by the protocol::PacketError the receiver must count them under.
using MalformedCounts = std::array<uint64_t, protocol::kPacketErrorCount>;

// Sends `count` malformed datagrams to 127.0.0.1:port from an ephemeral port, cycling through
// one kind per PacketError reason (random bytes where the reason allows), interleaved.
MalformedCounts sendMalformed(uint16_t port, int count, uint32_t seed,
                              const MalformedOptions& options = {});

int64_t monotonicNs();

}  // namespace scream::testing
