// scream-send --ivshmem: runs the source into an IVSHMEM ring instead of UDP.
#pragma once

#include <atomic>

#include "sender/options.h"
#include "sender/source.h"

namespace scream::sender {

// Opens the file, writes the header, paces the source into it until it ends, --duration or
// `stop`, then zeroes the header. Returns the exit code.
int runIvshmemSender(Source& source, const Options& options, const std::atomic<bool>& stop);

}  // namespace scream::sender
