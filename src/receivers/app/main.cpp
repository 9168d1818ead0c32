// scream-recv: receives Scream network audio and plays it.
#include <spdlog/spdlog.h>

#include "options.h"
#include "receiver.h"
#include "systemd_notify.h"

int main(int argc, char** argv) {
  scream::receiver::setupLogging("scream-recv");

  const scream::receiver::ParseResult parsed = scream::receiver::parseOptions(argc, argv);
  if (!parsed.options) return parsed.exitCode;
  const auto& options = *parsed.options;
  scream::receiver::applyVerbosity(options.verbosity);
  return scream::receiver::runReceiver(options);
}
