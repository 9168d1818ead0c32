// scream-recv's main loop: where a packet enters. The network thread (this one) receives
// datagrams, validates them (protocol/packet.h), keeps to one sender (SourceFilter) and hands
// them to the engine or the raw output; signals, stats and housekeeping happen between batches.
#pragma once

#include "options.h"

namespace scream::receiver {

// Runs until SIGINT/SIGTERM; SIGHUP reloads the configuration file, SIGUSR1 prints stats.
// Returns the process exit code.
int runReceiver(const Options& options);

// -v count to spdlog level: 0 info, 1 debug, 2+ trace. At start and on SIGHUP.
void applyVerbosity(int verbosity);

}  // namespace scream::receiver
