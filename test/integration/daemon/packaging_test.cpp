// Install rules and the .deb: `cmake --install` into a staging tree, `systemd-analyze verify` on
// the units it produced, and a dpkg install/remove of the package cpack builds.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "daemon_support.h"

namespace scream::testing {
namespace {

// Staging trees hold copies of the binaries: removed when the test passed, kept to look at if not.
void removeIfPassed(const std::string& dir) {
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir);
}

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::pair<int, std::string> install(const std::string& prefix, const std::string& destdir) {
  std::vector<std::string> argv = {"/usr/bin/env"};
  if (!destdir.empty()) argv.push_back("DESTDIR=" + destdir);
  argv.insert(argv.end(), {"cmake", "--install", SCREAM_BUILD_DIR, "--prefix", prefix});
  return run(argv);
}

const char* const kInstalledFiles[] = {
    "bin/scream-recv",
    "bin/scream-send",
    "lib/systemd/system/scream-recv.service",
    "lib/systemd/user/scream-recv.service",
    "share/man/man1/scream-recv.1",
    "share/man/man1/scream-send.1",
    "share/man/man5/scream-recv.toml.5",
    "share/doc/scream-netaudio/scream-recv.toml.example",
};

TEST(Packaging, InstallIntoDestdirPutsEverythingUnderThePrefix) {
  const std::string stage = makeTempDir("scream-destdir");
  const auto [code, out] = install("/usr", stage);
  ASSERT_EQ(code, 0) << out;
  for (const char* file : kInstalledFiles)
    EXPECT_TRUE(exists(stage + "/usr/" + file)) << file << "\n" << out;
  const std::string unit = readFile(stage + "/usr/lib/systemd/system/scream-recv.service");
  EXPECT_NE(unit.find("\nExecStart=/usr/bin/scream-recv\n"), std::string::npos) << unit;
  EXPECT_NE(unit.find("\nType=notify\n"), std::string::npos) << unit;
  EXPECT_NE(readFile(stage + "/usr/lib/systemd/user/scream-recv.service")
                .find("ExecStart=/usr/bin/scream-recv -o pulse"),
            std::string::npos);
  // The man pages render without warnings.
  for (const char* page : {"man1/scream-recv.1", "man1/scream-send.1", "man5/scream-recv.toml.5"}) {
    const auto [manCode, manOut] = run({"/usr/bin/env", "MANWIDTH=80", "man", "--warnings", "-l",
                                        stage + "/usr/share/man/" + page});
    EXPECT_EQ(manCode, 0) << page;
    EXPECT_EQ(manOut.find("warning"), std::string::npos) << page << ": " << manOut;
  }
  removeIfPassed(stage);
}

TEST(Packaging, SystemdAnalyzeVerifiesTheUnits) {
  if (!exists("/usr/bin/systemd-analyze"))
    GTEST_SKIP() << "systemd-analyze not installed (package systemd)";
  // A real prefix (no DESTDIR) so ExecStart= names a binary that exists, as verify checks.
  const std::string prefix = makeTempDir("scream-prefix");
  const auto [code, out] = install(prefix, "");
  ASSERT_EQ(code, 0) << out;
  for (const char* kind : {"system", "user"}) {
    const std::string unit = prefix + "/lib/systemd/" + kind + "/scream-recv.service";
    // MANPATH: verify also checks that the Documentation= man pages exist, here the installed ones.
    // A user manager needs a runtime directory even to verify.
    std::vector<std::string> argv = {"/usr/bin/env",
                                     "MANPATH=" + prefix + "/share/man",
                                     "XDG_RUNTIME_DIR=" + makeTempDir("scream-runtime"),
                                     "/usr/bin/systemd-analyze",
                                     "verify",
                                     unit};
    if (std::string(kind) == "user") argv.insert(argv.end() - 2, "--user");
    const auto [verifyCode, verifyOut] = run(argv);
    EXPECT_EQ(verifyCode, 0) << kind << ":\n" << verifyOut;
    EXPECT_EQ(verifyOut.find("scream-recv.service:"), std::string::npos) << kind << ":\n"
                                                                         << verifyOut;
  }
  removeIfPassed(prefix);
}

TEST(Packaging, DebInstallsAndRemovesCleanly) {
  if (geteuid() != 0) GTEST_SKIP() << "dpkg -i needs root";
  const auto [statusCode, statusOut] =
      run({"/usr/bin/dpkg-query", "-W", "-f=${Status}", "scream-netaudio"});
  if (statusCode == 0 && statusOut.find("installed") != std::string::npos) {
    GTEST_SKIP() << "scream-netaudio is installed on this machine; not touching it";
  }
  const std::string out = makeTempDir("scream-deb");
  const auto [cpackCode, cpackOut] =
      run({"/usr/bin/cpack", "-G", "DEB", "--config",
           std::string(SCREAM_BUILD_DIR) + "/CPackConfig.cmake", "-B", out},
          300000);
  ASSERT_EQ(cpackCode, 0) << cpackOut;
  const std::string deb = out + "/scream-netaudio_" SCREAM_VERSION "_amd64.deb";
  ASSERT_TRUE(exists(deb)) << cpackOut;

  const auto [infoCode, info] = run({"/usr/bin/dpkg-deb", "--info", deb});
  EXPECT_EQ(infoCode, 0);
  EXPECT_NE(info.find("Depends: "), std::string::npos) << info;  // from dpkg-shlibdeps
  EXPECT_NE(info.find("libsystemd0"), std::string::npos) << info;

  const auto [installCode, installOut] = run({"/usr/bin/dpkg", "-i", deb});
  ASSERT_EQ(installCode, 0) << installOut;
  for (const char* file : kInstalledFiles) EXPECT_TRUE(exists(std::string("/usr/") + file)) << file;
  const auto [helpCode, help] = run({"/usr/bin/scream-recv", "--help"});
  EXPECT_EQ(helpCode, 0) << help;
  EXPECT_NE(help.find("--config"), std::string::npos);

  const auto [purgeCode, purgeOut] = run({"/usr/bin/dpkg", "--purge", "scream-netaudio"});
  EXPECT_EQ(purgeCode, 0) << purgeOut;
  for (const char* file : kInstalledFiles)
    EXPECT_FALSE(exists(std::string("/usr/") + file)) << file;
  EXPECT_FALSE(exists("/etc/scream")) << "the package must leave nothing in /etc";
  removeIfPassed(out);
}

}  // namespace
}  // namespace scream::testing
