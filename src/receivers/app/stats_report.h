// Text for --stats lines and for the malformed-packet warnings (once per reason per interval).
#pragma once

#include <string>

#include "receivers/core/engine.h"
#include "receivers/core/stats.h"

namespace scream::receiver {

struct StatsSnapshot {
  uint64_t packets = 0, otherSource = 0, underruns = 0, concealedFrames = 0, overflowFrames = 0,
           backlogFlushes = 0, lostDatagrams = 0, duplicates = 0, insertedFrames = 0, cutFrames = 0;
  double backlogLatencyMs = 0, backlogTargetMs = 0;  // what the last backlog flush saw
  uint64_t malformed[protocol::kPacketErrorCount] = {};

  static StatsSnapshot take(const Stats& stats);
};

std::string formatStatsLine(const std::string& source, const EngineStatus& engine,
                            const StatsSnapshot& now, bool engineUsed);

// One line per reason whose count grew since `before`; empty when none did.
std::string formatMalformed(const StatsSnapshot& before, const StatsSnapshot& now, double seconds);

}  // namespace scream::receiver
