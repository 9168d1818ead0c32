// scream-recv's main loop: where a packet enters. The network thread (this one) receives
// datagrams, validates them (protocol/packet.h), keeps to one sender (SourceFilter) and hands
// them to the engine or the raw output; signals, stats and housekeeping happen between batches.
#pragma once

#include "options.h"

namespace scream::receiver {

// Runs until SIGINT/SIGTERM; returns the process exit code.
int runReceiver(const Options& options);

}  // namespace scream::receiver
