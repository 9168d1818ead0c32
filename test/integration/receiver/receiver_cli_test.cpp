// scream-recv's command line: help, bad values (exit 2 with a message).
#include <gtest/gtest.h>

#include "receiver_fixture.h"

namespace scream::testing {
namespace {

TEST(ReceiverCli, HelpListsUpstreamAndLongOptions) {
  const auto [code, out] = runReceiverCli({"--help"});
  EXPECT_EQ(code, 0);
  for (const char* flag : {"-u", "-p", "-i", "-g", "-m", "-o", "-d", "-s", "-n", "-t", "-l", "-c",
                           "-v", "--source", "--latency", "--max-latency", "--resampler", "--stats",
                           "--idle-timeout", "--rejoin"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
  }
}

TEST(ReceiverCli, BadValuesExitWithCode2AndSayWhy) {
  struct Case {
    std::vector<std::string> args;
    const char* says;
  } cases[] = {
      {{"-o", "speakers"}, "unknown output 'speakers'"},
      {{"-o", "raw", "--resampler", "cubic"}, "unknown resampler 'cubic'"},
      {{"-o", "raw", "--latency", "fast"}, "latency must be"},
      {{"-o", "raw", "-p", "70000"}, "70000"},
      {{"-o", "raw", "--source", "not-an-address"}, "--source 'not-an-address'"},
      {{"--no-such-flag"}, "no-such-flag"},
  };
  for (const auto& c : cases) {
    const auto [code, out] = runReceiverCli(c.args);
    EXPECT_EQ(code, 2) << c.args[0] << " " << out;
    EXPECT_NE(out.find(c.says), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace scream::testing
