// A running scream-recv and its signals: SIGHUP reloads the configuration file without touching
// the stream, SIGUSR1 prints stats, SIGTERM exits 0.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <thread>

#include "daemon_support.h"
#include "support/audio_analysis.h"
#include "support/test_sender.h"

namespace scream::testing {
namespace {

class DaemonSignals : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = makeTempDir("scream-daemon-home");
    setenv("XDG_CONFIG_HOME", home_.c_str(), 1);  // no user config file but the test's
  }
  std::string home_;
};

TEST_F(DaemonSignals, SighupAppliesStatsAndVerbosityWithoutDroppingTheStream) {
  const std::string config = home_ + "/recv.toml";
  writeFile(config, "latency = 60\n");
  Receiver r = startReceiver("hup", {"--config", config, "-o", "file:{dir}/out.wav"});
  TestSenderConfig sc;
  sc.destPort = r.port;
  sc.seconds = 3;
  TestSender sender(sc);
  sender.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(countOf(r.log(), "stats:"), 0u) << r.log();

  // Live keys and one that needs a restart; the command line's -p still wins over `port`.
  writeFile(config, "latency = 60\nstats = 0.3\nverbose = 1\nport = 4999\nresampler = \"best\"\n");
  r.process->signal(SIGHUP);
  EXPECT_TRUE(waitForLog(r, "reloaded " + config + ": verbosity 1, stats every 0.3 s", 3000))
      << r.log();
  EXPECT_TRUE(waitForLog(r, "stats:", 3000, 3)) << "stats interval not applied:\n" << r.log();
  EXPECT_NE(r.log().find("reload: resampler changed; restart scream-recv to apply"),
            std::string::npos)
      << r.log();
  EXPECT_EQ(r.log().find("port changed"), std::string::npos) << "-p on the command line wins\n"
                                                             << r.log();
  sender.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(r.stop(), 0) << r.log();

  // The stream played through the reload: one clean tone from start to end.
  const WavData wav = readWav(r.dir + "/out.wav");
  const auto tone = wav.channel(0);
  const long first = firstSound(tone);
  ASSERT_GE(first, 0) << r.log();
  const double from = first / 48000.0 + 0.05;
  const GlitchReport glitches = detectGlitches(tone, 48000, from, from + sc.seconds - 0.4);
  EXPECT_EQ(glitches.events, 0u) << glitches.glitchMs << " ms of glitches\n" << r.log();
  EXPECT_EQ(countOf(r.log(), "stream: 48000 Hz"), 1u) << "the stream restarted\n" << r.log();
}

TEST_F(DaemonSignals, SighupWithABadFileKeepsRunningOnTheOldSettings) {
  const std::string config = home_ + "/recv.toml";
  writeFile(config, "stats = 60\n");
  Receiver r = startReceiver("hup-bad", {"--config", config, "-o", "file:{dir}/out.wav"});
  writeFile(config, "stats = 60\nvolume = 11\n");
  r.process->signal(SIGHUP);
  EXPECT_TRUE(waitForLog(r,
                         "reload failed, keeping the running configuration: " + config +
                             ":2: key 'volume': unknown key",
                         3000))
      << r.log();
  EXPECT_TRUE(r.process->running());
  EXPECT_EQ(r.stop(), 0) << r.log();
}

TEST_F(DaemonSignals, Sigusr1PrintsStatsAndSigtermExitsZero) {
  Receiver r = startReceiver("usr1", {"-o", "file:{dir}/out.wav"});
  TestSenderConfig sc;
  sc.destPort = r.port;
  sc.seconds = 0.5;
  TestSender sender(sc);
  sender.start();
  sender.join();
  r.process->signal(SIGUSR1);
  ASSERT_TRUE(waitForLog(r, "stats: source 127.0.0.1:", 3000)) << r.log();
  EXPECT_NE(r.log().find("48000 Hz 16 bit 2 ch"), std::string::npos) << r.log();
  EXPECT_EQ(r.stop(), 0) << r.log();
  EXPECT_NE(r.log().find("stopped ("), std::string::npos) << r.log();
}

}  // namespace
}  // namespace scream::testing
