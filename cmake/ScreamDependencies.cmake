# Libraries user-space code links against, found once at the top so every folder sees them.
# All come from Debian packages listed in scripts/packages.txt.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SAMPLERATE REQUIRED IMPORTED_TARGET samplerate)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 CONFIG QUIET)  # header-only; plain #include <CLI/CLI.hpp> works without it
