// scream-recv: receives Scream network audio and plays it.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "options.h"
#include "receiver.h"

int main(int argc, char** argv) {
  // Logs go to stderr: stdout carries PCM with -o raw.
  auto logger = spdlog::stderr_color_mt("scream-recv");
  logger->set_pattern("%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);

  const scream::receiver::ParseResult parsed = scream::receiver::parseOptions(argc, argv);
  if (!parsed.options) return parsed.exitCode;
  const auto& options = *parsed.options;
  spdlog::set_level(options.verbosity >= 2   ? spdlog::level::trace
                    : options.verbosity == 1 ? spdlog::level::debug
                                             : spdlog::level::info);
  return scream::receiver::runReceiver(options);
}
