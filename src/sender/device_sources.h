// The device sources of scream-send (pulse, alsa, jack) behind one call, so main() stays
// independent of the audio libraries.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "sender/options.h"
#include "sender/source.h"

namespace scream::sender {

// Opens --source pulse|alsa|jack as configured; nullptr with `error` set on failure. `stop` is the
// signal flag: it ends a blocking device read.
std::unique_ptr<Source> openDeviceSource(const Options& options, const std::atomic<bool>& stop,
                                         std::string* error);

}  // namespace scream::sender
