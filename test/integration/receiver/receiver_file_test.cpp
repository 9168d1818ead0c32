// The full engine path through the clock-paced WAV sink: the probe tone must come out without a
// glitch and at a steady latency while the sender's clock runs 1000 ppm fast or slow, and
// malformed datagrams or a second sender must change nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <thread>

#include "receiver_fixture.h"
#include "support/audio_analysis.h"
#include "support/test_sender.h"

namespace scream::testing {
namespace {

// The drift tests pin the target so that "latency stays within +-2 ms of the target" has one
// target to compare with: 60 ms, above the sender's 10 ms bursts plus the 10-30 ms scheduling
// stalls of this 2-core VM. With the automatic target (24 ms to start) those stalls cause an
// occasional early underrun, after which the target rightly rises; the adaptation itself is
// covered deterministically in engine_simulation_test.cpp.
constexpr double kPinnedTargetMs = 60;
constexpr const char* kPinnedTargetArg = "60";

double soakSeconds() {
  const char* s = std::getenv("SCREAM_SOAK_SECONDS");
  return s ? std::atof(s) : 60.0;
}

struct Timing {
  int64_t startNs = 0;
  uint32_t rate = 0;
};

Timing readTiming(const std::string& path) {
  const std::string text = readFile(path);
  std::smatch m;
  Timing t;
  if (std::regex_search(text, m, std::regex("\"start_ns\": (\\d+), \"rate\": (\\d+)"))) {
    t.startNs = std::stoll(m[1]);
    t.rate = static_cast<uint32_t>(std::stoul(m[2]));
  }
  return t;
}

struct LatencyResult {
  std::vector<double> afterLockMs;  // latency of each marker played after the lock time
  double minMs = 0, maxMs = 0, medianMs = 0;
};

// Marker latency = when it played (sink clock) - when the sender's clock produced it.
LatencyResult markerLatencies(const TestSender& sender, const WavData& wav, const Timing& timing,
                              double lockSeconds) {
  LatencyResult r;
  const auto onsets = findMarkerOnsets(wav.channel(1), wav.sampleRate);
  for (const SentMarker& m : sender.markers()) {
    if (static_cast<double>(m.productionNs - sender.startNs()) * 1e-9 < lockSeconds) continue;
    // The onset within 300 ms after production is this marker's (markers are 1 s apart).
    for (double onset : onsets) {
      const double playedNs = static_cast<double>(timing.startNs) + onset * 1e9 / timing.rate;
      const double latencyMs = (playedNs - static_cast<double>(m.productionNs)) * 1e-6;
      if (latencyMs > 0 && latencyMs < 300) {
        r.afterLockMs.push_back(latencyMs);
        break;
      }
    }
  }
  if (r.afterLockMs.empty()) return r;
  auto sorted = r.afterLockMs;
  std::sort(sorted.begin(), sorted.end());
  r.minMs = sorted.front();
  r.maxMs = sorted.back();
  r.medianMs = sorted[sorted.size() / 2];
  return r;
}

void playProbe(double ppm, const char* name) {
  const double seconds = soakSeconds();
  Receiver r = startReceiver(name, {"-o", "file:{dir}/out.wav", "--stats", "5", "--latency",
                                    kPinnedTargetArg});
  const std::string wavPath = r.dir + "/out.wav";
  TestSenderConfig config;
  config.destPort = r.port;
  config.ppm = ppm;
  config.seconds = seconds;
  config.burstMs = 10;
  TestSender sender(config);
  sender.start();
  sender.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(r.stop(), 0) << r.log();

  const WavData wav = readWav(wavPath);
  const Timing timing = readTiming(wavPath + ".timing.json");
  ASSERT_EQ(wav.sampleRate, 48000u);
  ASSERT_EQ(wav.channels, 2u);
  const auto tone = wav.channel(0);
  const long first = firstSound(tone);
  ASSERT_GE(first, 0) << "no audio reached the file";
  // From just after the fade-in to just before the sender stopped.
  const double from = first / 48000.0 + 0.05;
  const double to = (static_cast<double>(sender.startNs() - timing.startNs) * 1e-9) + seconds - 0.05;
  const GlitchReport glitches = detectGlitches(tone, 48000, from, to);
  EXPECT_EQ(glitches.events, 0u) << glitches.glitchMs << " ms of glitches; first at "
                                 << (glitches.list.empty() ? 0 : glitches.list[0].startSeconds)
                                 << " s\n" << r.log();
  EXPECT_GT(glitches.toneRmsDbfs, -8.0);
  EXPECT_GT(to - from, seconds - 1.0) << "audio started late";

  // Latency after lock (10 s) stays within +-2 ms of target + what the target leaves out (the
  // receiver measures from when datagrams would have come on time: TestSender::onTimeHoldMs).
  const LatencyResult latency = markerLatencies(sender, wav, timing, 10.0);
  ASSERT_GE(latency.afterLockMs.size(), static_cast<size_t>(seconds - 12)) << r.log();
  const double expected = kPinnedTargetMs + sender.onTimeHoldMs();
  std::printf("ppm %+.0f: marker latency median %.2f ms, min %.2f, max %.2f, expected %.2f "
              "(target %.0f + on-time hold %.2f); sender woke up to %.2f ms late at %.1f s\n",
              ppm, latency.medianMs, latency.minMs, latency.maxMs, expected, kPinnedTargetMs,
              sender.onTimeHoldMs(), sender.maxLatenessMs(), sender.maxLatenessAtSeconds());
  EXPECT_NEAR(latency.minMs, expected, 2.0);
  EXPECT_NEAR(latency.maxMs, expected, 2.0);
  const std::string log = r.log();
  const size_t lastCount = log.rfind("underruns ");
  ASSERT_NE(lastCount, std::string::npos) << log;
  EXPECT_EQ(log.compare(lastCount, 12, "underruns 0 "), 0) << "last stats line: " << log.substr(lastCount);
}

TEST(ReceiverFile, ProbeCleanWithSenderClockFast1000ppm) { playProbe(+1000, "fast"); }
TEST(ReceiverFile, ProbeCleanWithSenderClockSlow1000ppm) { playProbe(-1000, "slow"); }

TEST(ReceiverFile, MalformedFloodAndSecondSenderChangeNothing) {
  Receiver r = startReceiver("flood", {"-o", "file:{dir}/out.wav", "--stats", "1", "--latency",
                                       kPinnedTargetArg});
  TestSenderConfig config;
  config.destPort = r.port;
  config.seconds = 12;
  TestSender sender(config);
  sender.start();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  TestSenderConfig intruder = config;  // noise from another port: must never be heard
  intruder.probe = false;
  intruder.seconds = 8;
  intruder.seed = 99;
  TestSender second(intruder);
  second.start();
  for (int i = 0; i < 8; ++i) {
    sendMalformed(r.port, 3000, 7 + i);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  second.join();
  sender.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(r.stop(), 0) << r.log();

  const WavData wav = readWav(r.dir + "/out.wav");
  const Timing timing = readTiming(r.dir + "/out.wav.timing.json");
  const auto tone = wav.channel(0);
  const long first = firstSound(tone);
  ASSERT_GE(first, 0);
  const double to = static_cast<double>(sender.startNs() - timing.startNs) * 1e-9 + 12 - 0.05;
  const GlitchReport glitches = detectGlitches(tone, 48000, first / 48000.0 + 0.05, to);
  EXPECT_EQ(glitches.events, 0u) << r.log();
  const std::string log = r.log();
  EXPECT_TRUE(std::regex_search(log, std::regex("other sources [1-9]"))) << log;
  EXPECT_NE(log.find("ignored malformed datagrams"), std::string::npos) << log;
  EXPECT_NE(log.find("shorter than the 5-byte header"), std::string::npos) << log;
}

}  // namespace
}  // namespace scream::testing
