// Sends a different sine to each channel (16 bit, any channel count and mask) to 127.0.0.1,
// paced by CLOCK_MONOTONIC in 10 ms bursts like the driver's timer.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/format.h"

namespace scream::testing {

void sendMultiTone(uint16_t port, const protocol::Format& format, const std::vector<double>& hz,
                   double seconds);

}  // namespace scream::testing
