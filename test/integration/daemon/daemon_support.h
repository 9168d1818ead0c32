// Helpers for the daemon tests: config files, waiting for log lines, running a command.
#pragma once

#include <string>
#include <vector>

#include "../receiver/receiver_fixture.h"

namespace scream::testing {

// Writes `text` to `path`.
void writeFile(const std::string& path, const std::string& text);
// Counts `needle` in `haystack`.
size_t countOf(const std::string& haystack, const std::string& needle);
// Waits until the receiver's log holds `needle` at least `count` times; false on timeout.
bool waitForLog(const Receiver& r, const std::string& needle, int timeoutMs, size_t count = 1);
// Runs argv[0] (an absolute path) to completion; returns {exit code, stdout+stderr}.
std::pair<int, std::string> run(const std::vector<std::string>& argv, int timeoutMs = 120000);

}  // namespace scream::testing
