// The instrument's calibration (issue 16): the known path (known_path.h) recorded and scored
// like a benchmark run. The truth there is a flat latency, so the reported slope is the
// instrument's own error; the same recording placed by one origin (the instrument before) and
// by the server's latency estimate is reported beside it.
#pragma once

#include <string>

#include "pulse_server.h"
#include "scenarios.h"

namespace scream::bench {

bool runCalibration(const Scenario& scenario, double seconds, testing::PulseServer& server,
                    const std::string& outDir);

}  // namespace scream::bench
