// The end-to-end benchmark's scenarios (issues 8, 16): what the relay does to the stream, how the
// sender plays and how fast the device's clock runs. A scenario has one or more sender segments
// (a new scream-send each), so that a silence gap or a format switch happens between two of them.
#pragma once

#include <string>
#include <vector>

namespace scream::bench {

struct Segment {
  double share = 1.0;        // of the scenario's length
  double gapBeforeSeconds = 0;  // nothing sent before this segment starts (silence suppression)
  std::vector<std::string> senderArgs;  // besides --source tone --dest --port --duration
};

enum class Kind {
  kRun,          // run by default
  kSoak,         // only with --soak (or by name); runs for the soak length instead
  kCalibration,  // only by name: the known path (known_path.h) instead of send/relay/receive
};

struct Scenario {
  std::string name;
  std::string description;
  std::vector<std::string> relayArgs;  // besides --listen --to --seed
  std::vector<Segment> segments;
  Kind kind = Kind::kRun;
  // The PulseAudio server runs under libfaketime at this speed (faketime -f "+0 xSPEED"): its
  // null sink's clock, the device, runs (SPEED - 1) * 1e6 ppm off CLOCK_MONOTONIC on top of its
  // own offset. The sender keeps CLOCK_MONOTONIC, so the device is off the sender by about that.
  double deviceSpeed = 1.0;
};

// The sender's --clock-ppm in the scenario's first segment (0 when not given).
double senderClockPpm(const Scenario& scenario);

const std::vector<Scenario>& allScenarios();
const Scenario* findScenario(const std::string& name);

}  // namespace scream::bench
