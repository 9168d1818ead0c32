// The network impairments of the end-to-end benchmark (there is no netem on the test machines):
// decides, for each datagram in arrival order, whether it is dropped, when it leaves and whether
// it leaves twice. Every random choice comes from one seeded generator drawn a fixed number of
// times per datagram, so the same seed and the same datagram sequence give the same fates.
// Stalls are periodic in time (from the first datagram), like a Wi-Fi scan or a VM pause.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace scream::bench {

struct ImpairmentConfig {
  uint64_t seed = 1;
  double jitterMs = 0;           // every datagram: extra delay uniform in [0, jitterMs]
  double burstJitterMs = 0;      // during a jitter burst: extra delay uniform in [0, burstJitterMs]
  double burstJitterPct = 0;     // chance per datagram that a jitter burst starts
  uint32_t burstJitterLength = 50;  // datagrams a jitter burst lasts
  double lossPct = 0;            // independent loss
  double burstLossPct = 0;       // chance per datagram that a loss burst starts (Gilbert model)
  uint32_t burstLossLength = 5;  // datagrams lost in a row in a burst
  double duplicatePct = 0;       // the datagram also leaves a second time, 1 ms later
  double reorderPct = 0;         // the datagram is held back reorderMs and overtaken
  double reorderMs = 4;
  double stallMs = 0;            // nothing leaves for stallMs ...
  double stallEveryMs = 0;       // ... every stallEveryMs (datagrams queue and leave at once)
};

struct Departure {
  int64_t atNs;  // monotonic
  bool duplicate;
};

struct ImpairmentCounts {
  uint64_t received = 0, dropped = 0, duplicated = 0, reordered = 0, stalled = 0, sent = 0;
};

class Impairment {
 public:
  explicit Impairment(const ImpairmentConfig& config);

  // The departures (none if dropped) of a datagram that arrived at `arrivalNs`.
  std::vector<Departure> decide(int64_t arrivalNs);
  const ImpairmentCounts& counts() const { return counts_; }
  void countSent() { ++counts_.sent; }

 private:
  bool chance(double pct);
  double uniformMs(double maxMs);
  int64_t afterStall(int64_t ns);

  ImpairmentConfig config_;
  std::mt19937_64 random_;
  ImpairmentCounts counts_;
  int64_t firstNs_ = -1;
  int64_t lastInOrderNs_ = 0;  // in-order datagrams never overtake each other
  uint32_t jitterBurstLeft_ = 0;
  uint32_t lossBurstLeft_ = 0;
};

}  // namespace scream::bench
