// Counters the receiver reports (--stats, SIGUSR1, systemd STATUS). Written by the network thread
// and the audio thread with relaxed atomics (no locks on the audio path), read by the stats printer.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "protocol/packet.h"

namespace scream::receiver {

struct Stats {
  // network thread
  std::atomic<uint64_t> packets{0};          // valid packets from the locked source
  std::atomic<uint64_t> bytes{0};            // PCM bytes from the locked source
  std::atomic<uint64_t> otherSourcePackets{0};
  std::array<std::atomic<uint64_t>, protocol::kPacketErrorCount> malformed{};  // by PacketError
  std::atomic<uint64_t> formatChanges{0};
  std::atomic<uint64_t> ringOverflowFrames{0};  // frames dropped because the ring was full
  std::atomic<uint64_t> lostDatagrams{0};       // declared lost by the arrival analysis
  std::atomic<uint64_t> duplicatesDropped{0};   // duplicated datagrams found (dropped, or cut once played)
  // audio thread
  std::atomic<uint64_t> underruns{0};
  std::atomic<uint64_t> concealedFrames{0};
  std::atomic<uint64_t> backlogFlushes{0};  // latency far above target: faded out, dropped, faded in
  // What the last one saw, so a log tells why (ms).
  std::atomic<double> backlogLatencyMs{0}, backlogTargetMs{0};
  std::atomic<uint64_t> insertedFrames{0};  // repeated periods (lost datagrams, shortfalls)
  std::atomic<uint64_t> insertedInPlaceFrames{0};  // of those, where the datagrams were lost
  std::atomic<uint64_t> cutFrames{0};       // periods cut out (excess latency)
  std::atomic<uint64_t> renderedFrames{0};

  uint64_t malformedTotal() const {
    uint64_t total = 0;
    for (size_t i = 1; i < malformed.size(); ++i) total += malformed[i].load(std::memory_order_relaxed);
    return total;
  }
};

}  // namespace scream::receiver
