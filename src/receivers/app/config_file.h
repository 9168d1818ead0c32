// scream-recv's configuration file: a flat TOML table whose keys are the long option names
// (`port = 4010`, `output = "pulse"`, `unicast = true`). This file only reads TOML and turns each
// value into the text the command line would carry; options.cpp validates it with the same CLI11
// rules as a flag, so there is one place that decides what a good value is.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace scream::receiver {

struct ConfigEntry {
  std::string key;    // as written, e.g. "max-latency"
  std::string value;  // command-line form: "true", "4010", "30.5", "pulse"
  int line = 0;
};

struct ConfigFile {
  std::string path;
  std::vector<ConfigEntry> entries;  // in file order
};

// Reads and parses `path`. On failure returns nullopt and an error that names the file and line.
std::optional<ConfigFile> loadConfigFile(const std::string& path, std::string* error);

// Where scream-recv looks when --config is not given, in order:
// $XDG_CONFIG_HOME/scream/scream-recv.toml (or ~/.config/...), then /etc/scream/scream-recv.toml.
std::vector<std::string> configSearchPath();

// The first file of configSearchPath() that exists, or "" when none does.
std::string findConfigFile();

}  // namespace scream::receiver
