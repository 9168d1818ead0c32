// Configuration file + command line: values, precedence (flags win), and errors that name the
// file, the line and the key.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "receivers/app/config_file.h"
#include "receivers/app/options.h"

namespace scream::receiver {
namespace {

class OptionsConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/scream-options-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    // No user file unless a test writes one; /etc/scream is the machine's business.
    setenv("XDG_CONFIG_HOME", (dir_ + "/xdg").c_str(), 1);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
    return path;
  }
  ParseResult parseWith(const std::string& file, std::vector<std::string> args = {}) {
    args.insert(args.begin(), {"--config", file});
    return parseArguments(args);
  }

  std::string dir_;
};

TEST_F(OptionsConfig, EveryKindOfValueIsRead) {
  const auto r = parseWith(write("a.toml", R"(
port = 4999
unicast = true
output = "file:/tmp/x.wav"
latency = 30
max-latency = 250.5
verbose = 2
stats = 2.5
resampler = "medium"
source = "10.0.0.2:4010"
no-autoconnect = true
)"));
  ASSERT_TRUE(r.options) << r.message;
  const Options& o = *r.options;
  EXPECT_EQ(o.port, 4999);
  EXPECT_TRUE(o.unicast);
  EXPECT_EQ(o.output, OutputKind::kFile);
  EXPECT_EQ(o.outputPath, "/tmp/x.wav");
  EXPECT_DOUBLE_EQ(o.latencyMs, 30);
  EXPECT_DOUBLE_EQ(o.maxLatencyMs, 250.5);
  EXPECT_EQ(o.verbosity, 2);
  EXPECT_DOUBLE_EQ(o.statsSeconds, 2.5);
  EXPECT_EQ(o.resampler, ResamplerQuality::kMedium);
  EXPECT_EQ(o.source, "10.0.0.2:4010");
  EXPECT_TRUE(o.noAutoconnect);
  EXPECT_EQ(o.configPath, dir_ + "/a.toml");
}

TEST_F(OptionsConfig, FalseFlagAndAutoLatencyKeepDefaults) {
  const auto r = parseWith(write("a.toml", "unicast = false\nlatency = \"auto\"\n"));
  ASSERT_TRUE(r.options) << r.message;
  EXPECT_FALSE(r.options->unicast);
  EXPECT_DOUBLE_EQ(r.options->latencyMs, 0);
}

TEST_F(OptionsConfig, FlagsWinOverTheFile) {
  const std::string file =
      write("a.toml", "port = 4999\nlatency = 30\nstats = 5\nunicast = true\n");
  const auto r = parseWith(file, {"-p", "5000", "-t", "85", "--stats=1"});
  ASSERT_TRUE(r.options) << r.message;
  EXPECT_EQ(r.options->port, 5000);
  EXPECT_DOUBLE_EQ(r.options->latencyMs, 85);  // -t is --latency's short form
  EXPECT_DOUBLE_EQ(r.options->statsSeconds, 1);
  EXPECT_TRUE(r.options->unicast);  // not on the command line: the file's value
  const auto longForm = parseWith(file, {"--latency", "40"});
  ASSERT_TRUE(longForm.options) << longForm.message;
  EXPECT_DOUBLE_EQ(longForm.options->latencyMs, 40);
}

TEST_F(OptionsConfig, UnknownKeyNamesFileLineAndKey) {
  const std::string file = write("a.toml", "port = 4010\n\ncolour = \"blue\"\n");
  const auto r = parseWith(file);
  EXPECT_FALSE(r.options);
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.message, file + ":3: key 'colour': unknown key");
}

TEST_F(OptionsConfig, ConfigKeyItselfIsNotAllowedInTheFile) {
  const auto r = parseWith(write("a.toml", "config = \"/etc/other.toml\"\n"));
  EXPECT_FALSE(r.options);
  EXPECT_NE(r.message.find(":1: key 'config': unknown key"), std::string::npos) << r.message;
}

TEST_F(OptionsConfig, BadValuesAreCheckedByTheCommandLineRules) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"port = 70000", ":1: key 'port': --port: Value 70000 not in range 1 to 65535"},
      {"\nport = \"many\"", ":2: key 'port':"},
      {"output = \"speakers\"", ":1: key 'output': unknown output 'speakers'"},
      {"latency = 0.5", ":1: key 'latency': latency must be"},
      {"resampler = \"cubic\"", ":1: key 'resampler': unknown resampler 'cubic'"},
      {"max-latency = 1", ":1: key 'max-latency':"},
      {"group = \"10.1.2.3\"",
       ":1: key 'group': group '10.1.2.3' is not an IPv4 multicast address"},
      {"port = [4010, 4011]", ":1: key 'port': expected a single value"},
      {"[pulse]\nsink = \"x\"", ":1: key 'pulse': expected a single value"},
  };
  for (const auto& c : cases) {
    const std::string file = write("bad.toml", std::string(c.text) + "\n");
    const auto r = parseWith(file);
    EXPECT_FALSE(r.options) << c.text;
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_EQ(r.message.rfind(file, 0), 0u) << r.message;  // starts with the file name
    EXPECT_NE(r.message.find(c.says), std::string::npos) << c.text << " -> " << r.message;
  }
}

TEST_F(OptionsConfig, SyntaxErrorNamesFileAndLine) {
  const std::string file = write("a.toml", "port = 4010\nunicast = \n");
  const auto r = parseWith(file);
  EXPECT_FALSE(r.options);
  EXPECT_NE(r.message.find(file + ": not valid TOML"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find(" 2 | unicast"), std::string::npos) << r.message;
}

TEST_F(OptionsConfig, MissingExplicitFileIsAnError) {
  const auto r = parseWith(dir_ + "/none.toml");
  EXPECT_FALSE(r.options);
  EXPECT_NE(r.message.find("none.toml: cannot read"), std::string::npos) << r.message;
}

TEST_F(OptionsConfig, UserFileIsFoundInXdgConfigHome) {
  EXPECT_EQ(configSearchPath().front(), dir_ + "/xdg/scream/scream-recv.toml");
  EXPECT_EQ(configSearchPath().back(), "/etc/scream/scream-recv.toml");
  const std::string file = write("xdg/scream/scream-recv.toml", "port = 4321\n");
  const auto r = parseArguments({});
  ASSERT_TRUE(r.options) << r.message;
  EXPECT_EQ(r.options->port, 4321);
  EXPECT_EQ(r.options->configPath, file);
}

TEST_F(OptionsConfig, CommandLineErrorsStillExitTwo) {
  const auto r = parseArguments({"-p", "0"});
  EXPECT_FALSE(r.options);
  EXPECT_EQ(r.exitCode, 2);
  const auto help = parseArguments({"--help"});
  EXPECT_EQ(help.exitCode, 0);
  EXPECT_NE(help.message.find("--config"), std::string::npos);
}

TEST_F(OptionsConfig, ReloadNamesWhatNeedsARestart) {
  Options running, loaded;
  loaded.verbosity = 2;
  loaded.statsSeconds = 3;
  EXPECT_TRUE(optionsNeedingRestart(running, loaded).empty());
  loaded.port = 4011;
  loaded.latencyMs = 40;
  EXPECT_EQ(optionsNeedingRestart(running, loaded), (std::vector<std::string>{"port", "latency"}));
}

// The installed example lists every key commented out; with the comments removed each line must
// pass the same checks a user's file does.
TEST_F(OptionsConfig, ExampleConfigIsValidWhenUncommented) {
  std::ifstream in(std::string(SCREAM_SOURCE_DIR) + "/packaging/scream-recv.toml");
  ASSERT_TRUE(in);
  std::string line, text;
  int keys = 0;
  while (std::getline(in, line)) {
    if (line.rfind("# ", 0) != 0 || line.find(" = ") == std::string::npos) continue;
    line = line.substr(
        2, line.find("  #") == std::string::npos ? std::string::npos : line.find("  #") - 2);
    text += line + "\n";
    ++keys;
  }
  EXPECT_EQ(keys, 17) << text;  // every long option but --config and --ivshmem
  const auto r = parseWith(write("example.toml", text));
  EXPECT_TRUE(r.options) << r.message << "\n" << text;
}

}  // namespace
}  // namespace scream::receiver
