#include "config_file.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <toml.hpp>

namespace scream::receiver {

namespace {

// The command-line text for one TOML value; nullopt for arrays, tables and dates.
std::optional<std::string> argumentText(const toml::value& v) {
  switch (v.type()) {
    case toml::value_t::boolean: return v.as_boolean() ? "true" : "false";
    case toml::value_t::integer: return std::to_string(v.as_integer());
    case toml::value_t::floating: return fmt::format("{}", v.as_floating());
    case toml::value_t::string: return v.as_string().str;
    default: return std::nullopt;
  }
}

bool isFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::optional<ConfigFile> loadConfigFile(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = fmt::format("{}: cannot read the configuration file", path);
    return std::nullopt;
  }
  toml::value root;
  try {
    root = toml::parse(in, path);
  } catch (const toml::syntax_error& e) {
    // toml11's message already shows " --> FILE" and the line with a caret under the fault.
    *error = fmt::format("{}: not valid TOML:\n{}", path, e.what());
    return std::nullopt;
  }
  ConfigFile file{path, {}};
  for (const auto& [key, value] : root.as_table()) {
    const int line = static_cast<int>(value.location().line());
    const std::optional<std::string> text = argumentText(value);
    if (!text) {
      *error = fmt::format(
          "{}:{}: key '{}': expected a single value (string, number or true/false), "
          "not a {}",
          path, line, key, toml::stringize(value.type()));
      return std::nullopt;
    }
    file.entries.push_back({key, *text, line});
  }
  std::sort(file.entries.begin(), file.entries.end(),
            [](const ConfigEntry& a, const ConfigEntry& b) { return a.line < b.line; });
  return file;
}

std::vector<std::string> configSearchPath() {
  std::vector<std::string> paths;
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  if (xdg && *xdg == '/')
    paths.push_back(std::string(xdg) + "/scream/scream-recv.toml");
  else if (home && *home)
    paths.push_back(std::string(home) + "/.config/scream/scream-recv.toml");
  paths.push_back("/etc/scream/scream-recv.toml");
  return paths;
}

std::string findConfigFile() {
  for (const std::string& path : configSearchPath()) {
    if (isFile(path)) return path;
  }
  return {};
}

}  // namespace scream::receiver
