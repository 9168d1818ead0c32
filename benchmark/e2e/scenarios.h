// The end-to-end benchmark's scenarios (issue 8): what the relay does to the stream and how the
// sender plays. A scenario has one or more sender segments (a new scream-send each), so that a
// silence gap or a format switch happens between two of them.
#pragma once

#include <string>
#include <vector>

namespace scream::bench {

struct Segment {
  double share = 1.0;        // of the scenario's length
  double gapBeforeSeconds = 0;  // nothing sent before this segment starts (silence suppression)
  std::vector<std::string> senderArgs;  // besides --source tone --dest --port --duration
};

struct Scenario {
  std::string name;
  std::string description;
  std::vector<std::string> relayArgs;  // besides --listen --to --seed
  std::vector<Segment> segments;
  bool soak = false;  // only with --soak; runs for the soak length instead
};

const std::vector<Scenario>& allScenarios();
const Scenario* findScenario(const std::string& name);

}  // namespace scream::bench
