// scream-recv -o alsa through alsa-lib with a per-test configuration: the pulse PCM plugin into
// a private PulseAudio null sink (a real-time paced device), and the file plugin over it, which
// writes a WAV of exactly what the device was given (sample format included).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <thread>

#include "multitone_sender.h"
#include "pulse_recorder.h"
#include "pulse_server.h"
#include "receiver_fixture.h"
#include "support/audio_analysis.h"
#include "support/process.h"
#include "support/test_sender.h"

namespace scream::testing {
namespace {

constexpr char kStereoMap[] = "front-left,front-right";

void sleepMs(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// An ALSA configuration of its own for the test: pcm.pulsedev plays into the private server's
// null sink; `extra` adds more PCMs on top of it. Children started afterwards read only this.
class AlsaConfig {
 public:
  AlsaConfig(const std::string& name, const std::string& sink, const std::string& extra = "") {
    path_ = "/tmp/scream-alsa-test-" + name + "-" + std::to_string(getpid()) + ".conf";
    std::ofstream(path_) << "pcm.pulsedev {\n  type pulse\n  device \"" << sink << "\"\n}\n"
                         << "pcm.!default pulsedev\n"
                         << extra;
    setenv("ALSA_CONFIG_PATH", path_.c_str(), 1);
  }
  ~AlsaConfig() {
    unsetenv("ALSA_CONFIG_PATH");
    std::remove(path_.c_str());
  }

 private:
  std::string path_;
};

double targetMs(const std::string& log) {
  std::smatch m;
  double target = 0;
  for (std::string rest = log; std::regex_search(rest, m, std::regex("target ([0-9.]+) ms"));
       rest = m.suffix()) {
    target = std::stod(m[1]);
  }
  return target;
}

TEST(AlsaSink, ProbeToneWithoutGlitchesNearTargetLatency) {
  const char* soak = std::getenv("SCREAM_SOAK_SECONDS");
  const double seconds = soak ? std::min(8.0, std::atof(soak)) : 8.0;
  PulseServer server("alsaprobe", "rate=48000 channels=2");
  ASSERT_TRUE(server.start());
  AlsaConfig alsa("probe", "alsaprobe");
  PulseRecorder rec("alsaprobe.monitor", 48000, kStereoMap);
  std::string error;
  ASSERT_TRUE(rec.start(&error)) << error;
  ASSERT_TRUE(rec.waitForData(5000)) << "markers sent before the recorder has data go unrecorded";
  Receiver r = startReceiver("alsaprobe",
                             {"-o", "alsa", "-d", "pulsedev", "-t", "85", "--stats", "5", "-v"});
  TestSenderConfig config;
  config.destPort = r.port;
  config.seconds = seconds;
  config.ppm = 20;  // keeps markers off burst boundaries (see the PulseAudio tests)
  TestSender sender(config);
  sender.start();
  sender.join();
  sleepMs(200);
  rec.stop();
  ASSERT_EQ(r.stop(), 0) << r.log();
  const std::string log = r.log();
  EXPECT_NE(log.find("ALSA: playing on 'pulsedev'"), std::string::npos) << log;

  const auto tone = rec.channel(0);
  const long first = firstSound(tone);
  ASSERT_GE(first, 0) << "no audio reached the null sink\n" << log;
  const double from = first / 48000.0 + 0.05;
  const double to =
      (static_cast<double>(sender.startNs()) - rec.frame0Ns()) * 1e-9 + seconds - 0.05;
  const GlitchReport glitches = detectGlitches(tone, 48000, from, to);
  EXPECT_GT(to - from, seconds - 1.0) << "audio started late\n" << log;
  EXPECT_EQ(glitches.events, 0u) << glitches.glitchMs << " ms of glitches; first at "
                                 << (glitches.list.empty() ? 0 : glitches.list[0].startSeconds)
                                 << " s\n"
                                 << log;
  EXPECT_GT(glitches.toneRmsDbfs, -12.0);

  // Marker latency after the controller settled: onset at the sink - production at the sender.
  std::vector<double> latencies;
  const auto onsets = findMarkerOnsets(rec.channel(1), 48000);
  for (const SentMarker& m : sender.markers()) {
    if ((m.productionNs - sender.startNs()) * 1e-9 < 3.0) continue;
    for (double onset : onsets) {
      const double ms = (rec.playedNs(onset) - static_cast<double>(m.productionNs)) * 1e-6;
      if (ms > 0 && ms < 300) {
        latencies.push_back(ms);
        break;
      }
    }
  }
  ASSERT_GE(latencies.size(), static_cast<size_t>(seconds - 4)) << log;
  std::sort(latencies.begin(), latencies.end());
  const double expected = targetMs(log) + sender.onTimeHoldMs();
  std::printf(
      "alsa probe %.0f s: %zu glitches, tone %.1f dBFS; marker latency min %.2f median "
      "%.2f max %.2f ms; target + on-time hold = %.2f ms\n",
      seconds, glitches.events, glitches.toneRmsDbfs, latencies.front(),
      latencies[latencies.size() / 2], latencies.back(), expected);
  ASSERT_GT(expected, 0) << log;
  EXPECT_LE(latencies.back(), expected + 15.0) << log;
  EXPECT_GE(latencies.front(), expected - 15.0) << log;
}

TEST(AlsaSink, Surround51TonesLandOnTheirSpeakers) {
  // The pulse plugin takes no channel map: the sink must reorder Scream's FL FR FC LFE BL BR to
  // ALSA's FL FR RL RR FC LFE itself (the plugin maps six channels in ALSA order).
  const std::string sinkMap = "front-left,front-right,rear-left,rear-right,front-center,lfe";
  PulseServer server("alsa51", "rate=48000 channels=6 channel_map=" + sinkMap);
  ASSERT_TRUE(server.start());
  AlsaConfig alsa("surround", "alsa51");
  PulseRecorder rec("alsa51.monitor", 48000, sinkMap);
  std::string error;
  ASSERT_TRUE(rec.start(&error)) << error;
  Receiver r = startReceiver("alsa51", {"-o", "alsa", "-d", "pulsedev", "-t", "85"});
  const std::vector<double> hz = {440, 620, 820, 60, 1020, 1240};  // FL FR FC LFE BL BR
  sendMultiTone(r.port, protocol::Format{48000, 16, 6, 0x3F}, hz, 3);
  sleepMs(100);
  rec.stop();
  ASSERT_EQ(r.stop(), 0) << r.log();
  const std::vector<double> expected = {hz[0], hz[1], hz[4], hz[5], hz[2], hz[3]};
  const size_t first = static_cast<size_t>(std::max(0L, firstSound(rec.channel(0))));
  const size_t from = first + 24000, to = std::min(from + 48000, rec.samples().size() / 6);
  ASSERT_GT(to, from + 24000) << "too little audio\n" << r.log();
  for (unsigned ch = 0; ch < 6; ++ch) {
    const auto x = rec.channel(ch);
    const double want = tonePower(x, from, to, expected[ch], 48000);
    EXPECT_GT(want, 1e-3) << "sink channel " << ch << " lacks " << expected[ch] << " Hz\n"
                          << r.log();
    for (unsigned other = 0; other < 6; ++other) {
      if (expected[other] == expected[ch]) continue;
      const double leak = tonePower(x, from, to, expected[other], 48000);
      EXPECT_GT(10 * std::log10(want / (leak + 1e-20)), 30.0)
          << "sink channel " << ch << " carries " << expected[other] << " Hz\n"
          << r.log();
    }
  }
}

// One 16, 24 or 32-bit probe stream into a device that writes a WAV of what it was given.
struct FormatCase {
  uint8_t sourceBits;
  const char* device;  // from the configuration below
  int deviceBits;      // what the device must have been given
};

// Names the case in test output instead of dumping its bytes.
void PrintTo(const FormatCase& c, std::ostream* os) {
  *os << int{c.sourceBits} << "-bit source on " << c.device;
}

// Bits per sample of the file plugin's WAV (its canonical header: "fmt " first, at byte 12).
int wavBits(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char header[36] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  return header[34] | header[35] << 8;
}

class AlsaSinkFormats : public ::testing::TestWithParam<FormatCase> {};

TEST_P(AlsaSinkFormats, SourceReachesTheDeviceInAFormatItTakes) {
  const FormatCase c = GetParam();
  const std::string name = "alsafmt" + std::to_string(c.sourceBits) + c.device;
  PulseServer server(name, "rate=48000 channels=2");
  ASSERT_TRUE(server.start());
  const std::string wav = "/tmp/scream-" + name + "-" + std::to_string(getpid()) + ".wav";
  std::remove(wav.c_str());
  // `anyformat` takes what the sink offers first; `s16only` (plug with a fixed slave format,
  // which the sink's no-conversion open turns into a restriction) takes only S16_LE.
  AlsaConfig alsa(name, name,
                  "pcm.anyformat {\n  type file\n  slave.pcm pulsedev\n  file \"" + wav +
                      "\"\n  format \"wav\"\n}\n"
                      "pcm.s16only {\n  type plug\n  slave { pcm anyformat format S16_LE }\n}\n");
  Receiver r = startReceiver(name, {"-o", "alsa", "-d", c.device});
  TestSenderConfig config;
  config.destPort = r.port;
  config.seconds = 1.5;
  config.format = protocol::Format{48000, c.sourceBits, 2, 0x3};
  TestSender sender(config);
  sender.start();
  sender.join();
  sleepMs(100);
  ASSERT_EQ(r.stop(), 0) << r.log();
  WavData data;
  ASSERT_NO_THROW(data = readWav(wav)) << r.log();
  EXPECT_EQ(wavBits(wav), c.deviceBits) << r.log();
  std::remove(wav.c_str());
  EXPECT_EQ(data.sampleRate, 48000u);
  EXPECT_EQ(data.channels, 2u);
  const auto tone = data.channel(0);
  const long first = firstSound(tone);
  ASSERT_GE(first, 0) << "no audio reached the device\n" << r.log();
  ASSERT_GT(tone.size(), static_cast<size_t>(first) + 48000) << r.log();
  const GlitchReport glitches =
      detectGlitches(tone, 48000, first / 48000.0 + 0.1, first / 48000.0 + 1.0);
  EXPECT_GT(glitches.toneRmsDbfs, -12.0) << r.log();
  const std::string log = r.log();
  const std::string wanted = c.deviceBits == 16 ? "S16_LE" : c.deviceBits == 24 ? "S24_3LE" : "S32_LE";
  EXPECT_NE(log.find(wanted + "; period"), std::string::npos) << log;
  std::printf("%u-bit source on %s: device took %s, tone %.1f dBFS\n", c.sourceBits, c.device,
              wanted.c_str(), glitches.toneRmsDbfs);
}

INSTANTIATE_TEST_SUITE_P(
    Depths, AlsaSinkFormats,
    ::testing::Values(FormatCase{16, "anyformat", 16}, FormatCase{24, "anyformat", 24},
                      FormatCase{32, "anyformat", 32}, FormatCase{24, "s16only", 16}),
    [](const ::testing::TestParamInfo<FormatCase>& param) {
      return std::to_string(param.param.sourceBits) + "bit_" + param.param.device;
    });

TEST(AlsaSink, RateTheDeviceLacksIsConvertedByTheEngine) {
  // A device fixed at 44.1 kHz: the sink opens it at 44.1 kHz (alsa-lib is told not to
  // resample) and the engine's resampler converts the 48 kHz stream.
  PulseServer server("alsarate", "rate=48000 channels=2");
  ASSERT_TRUE(server.start());
  const std::string wav = "/tmp/scream-alsarate-" + std::to_string(getpid()) + ".wav";
  std::remove(wav.c_str());
  AlsaConfig alsa("rate", "alsarate",
                  "pcm.anyformat {\n  type file\n  slave.pcm pulsedev\n  file \"" + wav +
                      "\"\n  format \"wav\"\n}\n"
                      "pcm.rate44k {\n  type plug\n  slave { pcm anyformat rate 44100 }\n}\n");
  Receiver r = startReceiver("alsarate", {"-o", "alsa", "-d", "rate44k", "-t", "85"});
  TestSenderConfig config;
  config.destPort = r.port;
  config.seconds = 2;
  TestSender sender(config);
  sender.start();
  sender.join();
  sleepMs(100);
  ASSERT_EQ(r.stop(), 0) << r.log();
  const std::string log = r.log();
  EXPECT_NE(log.find("ALSA: playing on 'rate44k' (44100 Hz"), std::string::npos) << log;
  WavData data;
  ASSERT_NO_THROW(data = readWav(wav)) << log;
  std::remove(wav.c_str());
  EXPECT_EQ(data.sampleRate, 44100u) << log;
  const auto tone = data.channel(0);
  const long first = firstSound(tone);
  ASSERT_GE(first, 0) << "no audio reached the device\n" << log;
  ASSERT_GT(tone.size(), static_cast<size_t>(first) + 44100) << log;
  // The 997 Hz probe stays 997 Hz at the device's rate: a missing conversion would play it
  // 8.8 % low (916 Hz) and the notch would see it all as residual.
  const GlitchReport glitches =
      detectGlitches(tone, 44100, first / 44100.0 + 0.1, first / 44100.0 + 1.0);
  EXPECT_EQ(glitches.events, 0u) << log;
  EXPECT_GT(glitches.toneRmsDbfs, -12.0) << log;
  std::printf("48 kHz stream on a 44.1 kHz device: %zu glitches, tone %.1f dBFS\n", glitches.events,
              glitches.toneRmsDbfs);
}

TEST(AlsaSink, DeviceThatGoesAwayIsReopened) {
  // The PulseAudio server behind the pulse PCM dies (like a USB card unplugged mid-stream) and
  // comes back: the sink reopens the same device with backoff and plays again.
  PulseServer server("alsagone", "rate=48000 channels=2");
  ASSERT_TRUE(server.start());
  AlsaConfig alsa("gone", "alsagone");
  Receiver r = startReceiver("alsagone", {"-o", "alsa", "-d", "pulsedev", "-t", "85"});
  TestSenderConfig config;
  config.destPort = r.port;
  config.seconds = 10;
  TestSender sender(config);
  sender.start();
  sleepMs(2000);
  server.kill();
  sleepMs(1500);
  ASSERT_TRUE(server.start(false));
  PulseRecorder rec("alsagone.monitor", 48000, kStereoMap);
  std::string error;
  ASSERT_TRUE(rec.start(&error)) << error;
  ASSERT_TRUE(server.keepRunning());
  sleepMs(4000);
  rec.stop();
  EXPECT_TRUE(r.process->running()) << r.log();
  sender.join();
  ASSERT_EQ(r.stop(), 0) << r.log();
  const std::string log = r.log();
  EXPECT_NE(log.find("ALSA: lost device 'pulsedev'"), std::string::npos) << log;
  EXPECT_GE(occurrences(log, "ALSA: playing on 'pulsedev'"), 2u) << log;
  const auto tone = rec.channel(0);
  const long first = firstSound(tone);
  ASSERT_GE(first, 0) << "playback did not resume\n" << log;
  const double resumeSeconds = (rec.frame0Ns() + first * 1e9 / 48000 - server.answeredNs()) * 1e-9;
  std::printf("device gone: resumed %.2f s after the server answered again\n", resumeSeconds);
  EXPECT_LT(resumeSeconds, 3.0) << log;
}

TEST(AlsaSink, MissingDeviceIsReportedAndRetried) {
  PulseServer server("alsamissing", "rate=48000 channels=2");
  ASSERT_TRUE(server.start());
  AlsaConfig alsa("missing", "alsamissing");
  Receiver r = startReceiver("alsamissing", {"-o", "alsa", "-d", "nosuchdevice"});
  TestSenderConfig config;
  config.destPort = r.port;
  config.seconds = 3;
  TestSender sender(config);
  sender.start();
  sender.join();
  EXPECT_TRUE(r.process->running()) << r.log();
  ASSERT_EQ(r.stop(), 0) << r.log();
  const std::string log = r.log();
  EXPECT_NE(log.find("ALSA: no playback device 'nosuchdevice'"), std::string::npos) << log;
  EXPECT_NE(log.find("retrying"), std::string::npos) << log;
  EXPECT_EQ(log.find("ALSA: playing on"), std::string::npos) << log;
}

}  // namespace
}  // namespace scream::testing
