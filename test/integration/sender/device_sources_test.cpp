// scream-send's device sources against real servers: a private PulseAudio server (pulse, and alsa
// through ALSA's pulse plugin) and a private jackd with the dummy driver. The sender sends to a
// UDP socket on 127.0.0.1 that the test reads.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <thread>

#include "jack_server.h"
#include "protocol/header.h"
#include "pulse_server.h"
#include "sender_harness.h"
#include "support/audio_analysis.h"
#include "support/process.h"

namespace scream::test {
namespace {

using protocol::Format;
using protocol::kDatagramBytes;
using protocol::kHeaderBytes;
using scream::testing::Process;
using scream::testing::readFile;

constexpr double kToneHz = 997.0;
constexpr double kToneRmsDbfs = -6.02;  // sine at -6 dBFS peak (RMS of a full-scale sine = 0 dBFS)

// Runs a command line tool to its end and returns what it printed.
std::string output(const std::vector<std::string>& argv, const std::string& dir) {
  Process tool(argv, dir + "/tool.out", dir + "/tool.err");
  tool.wait(5000);
  return readFile(dir + "/tool.out");
}

bool waitFor(const std::function<bool()>& condition, int timeoutMs) {
  for (int waited = 0; waited < timeoutMs; waited += 100) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

// Stereo 16-bit raw PCM: the probe tone at -6 dBFS on both channels.
void writeTone(const std::string& path, uint32_t rate, double seconds) {
  std::vector<uint8_t> pcm;
  for (size_t i = 0; i < static_cast<size_t>(seconds * rate); ++i) {
    const auto v =
        static_cast<int16_t>(std::lround(16384 * std::sin(2 * M_PI * kToneHz * i / rate)));
    for (int ch = 0; ch < 2; ++ch) {
      pcm.push_back(static_cast<uint8_t>(v & 0xFF));
      pcm.push_back(static_cast<uint8_t>((v >> 8) & 0xFF));
    }
  }
  writeFile(path, pcm);
}

// Every datagram carries `format`; all but the last (flushed at stop) are full.
void expectFullDatagrams(const std::vector<Datagram>& datagrams, const Format& format) {
  ASSERT_FALSE(datagrams.empty());
  for (size_t i = 0; i < datagrams.size(); ++i) {
    const std::vector<uint8_t>& d = datagrams[i].bytes;
    if (i + 1 < datagrams.size()) {
      ASSERT_EQ(d.size(), kDatagramBytes) << "datagram " << i;
    }
    ASSERT_GT(d.size(), kHeaderBytes);
    Format f;
    ASSERT_EQ(protocol::decodeHeader(d.data(), &f), protocol::FormatError::kOk);
    ASSERT_EQ(f, format) << "datagram " << i;
  }
}

// One channel of 16-bit payloads as floats (full scale 1.0).
std::vector<float> channel(const std::vector<Datagram>& datagrams, const Format& format, int ch) {
  const std::vector<uint8_t> pcm = payload(datagrams);
  std::vector<float> out;
  for (size_t at = ch * 2u; at + 1 < pcm.size(); at += format.bytesPerFrame()) {
    out.push_back(static_cast<int16_t>(pcm[at] | pcm[at + 1] << 8) / 32768.0f);
  }
  return out;
}

// Frames per second of the stream from datagram `first` to the last but one (the last is the
// partial flush): the pace the device clock gave it.
double framesPerSecond(const std::vector<Datagram>& d, size_t first, const Format& format) {
  const size_t last = d.size() - 2;
  const double seconds = (d[last].arrivalNs - d[first].arrivalNs) * 1e-9;
  uint64_t maxGapNs = 0;
  for (size_t i = first; i < last; ++i) {
    maxGapNs = std::max(maxGapNs, d[i + 1].arrivalNs - d[i].arrivalNs);
  }
  std::printf("[ gaps     ] longest %.1f ms between datagrams\n", maxGapNs * 1e-6);
  return (last - first) * 1152.0 / format.bytesPerFrame() / seconds;
}

// The tone must be there, at its level and without gaps, for `seconds` after it starts.
void expectTone(const std::vector<float>& mono, uint32_t rate, double seconds) {
  const long start = scream::testing::firstSound(mono, 0.1f);
  ASSERT_GE(start, 0) << "no tone arrived";
  const double from = static_cast<double>(start) / rate + 0.1;
  ASSERT_GE(static_cast<double>(mono.size()) / rate, from + seconds) << "tone too short";
  const auto report = scream::testing::detectGlitches(mono, rate, from, from + seconds, kToneHz);
  EXPECT_NEAR(report.toneRmsDbfs, kToneRmsDbfs, 1.0);
  EXPECT_LE(report.events, 1u) << "glitch events in " << seconds << " s of tone";
  std::printf("[ tone     ] %.2f dBFS, %zu glitch events (%.1f ms)\n", report.toneRmsDbfs,
              report.events, report.glitchMs);
}

std::vector<std::string> to(const UdpCapture& rx, std::vector<std::string> args) {
  args.insert(args.end(), {"--dest", "127.0.0.1", "--port", std::to_string(rx.port())});
  return args;
}

TEST(DeviceSources, PulseSourceSendsWhatIsPlayedIntoItsSinkAndRemovesItOnSigterm) {
  scream::testing::PulseServer server("sender-pulse", "rate=48000 channels=2");
  ASSERT_TRUE(server.start(false));
  const std::string dir = scream::testing::makeTempDir("scream-sender-pulse");
  writeTone(dir + "/tone.raw", 48000, 3.0);
  UdpCapture rx;
  rx.start();
  SenderProcess sender(to(rx, {"--source", "pulse", "--sink-name", "ScreamTest"}));
  const auto sinks = [&] { return output({"/usr/bin/pactl", "list", "short", "sinks"}, dir); };
  ASSERT_TRUE(waitFor([&] { return sinks().find("ScreamTest\t") != std::string::npos; }, 5000))
      << sinks();
  EXPECT_NE(sinks().find("ScreamTest\tmodule-null-sink.c\ts16le 2ch 48000Hz"), std::string::npos)
      << sinks();

  Process player({"/usr/bin/pacat", "--playback", "-d", "ScreamTest", "--raw", "--format=s16le",
                  "--rate=48000", "--channels=2", dir + "/tone.raw"},
                 dir + "/pacat.out", dir + "/pacat.err");
  EXPECT_EQ(player.wait(15000), 0) << readFile(dir + "/pacat.err");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  sender.signal(SIGTERM);
  const ProcessResult result = sender.wait(5000);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  const std::string modules = output({"/usr/bin/pactl", "list", "short", "modules"}, dir);
  EXPECT_EQ(modules.find("sink_name=ScreamTest"), std::string::npos) << modules;
  EXPECT_EQ(sinks().find("ScreamTest"), std::string::npos);

  const std::vector<Datagram> datagrams = rx.finish();
  const Format format{48000, 16, 2, 0x3};
  expectFullDatagrams(datagrams, format);
  expectTone(channel(datagrams, format, 0), 48000, 2.5);
  expectTone(channel(datagrams, format, 1), 48000, 2.5);
  ASSERT_GT(datagrams.size(), 300u);
  const double rate = framesPerSecond(datagrams, datagrams.size() - 300, format);
  std::printf("[ pace     ] %.0f frames/s over the last 300 datagrams\n", rate);
  EXPECT_NEAR(rate, 48000, 48000 * 0.03);
}

TEST(DeviceSources, PulseSourceRefusesASinkNameInUseAndLeavesItAlone) {
  scream::testing::PulseServer server("sender-taken", "rate=48000 channels=2");
  ASSERT_TRUE(server.start(false));
  UdpCapture rx;
  const ProcessResult result =
      runSender(to(rx, {"--source", "pulse", "--sink-name", server.sinkName()}), 10000);
  EXPECT_EQ(result.exitCode, 2);
  EXPECT_NE(result.err.find("already exists"), std::string::npos) << result.err;
  const std::string dir = scream::testing::makeTempDir("scream-sender-taken");
  const std::string modules = output({"/usr/bin/pactl", "list", "short", "modules"}, dir);
  EXPECT_NE(modules.find("sink_name=" + server.sinkName()), std::string::npos) << modules;
}

TEST(DeviceSources, PulseSourceRemovesItsSinkWhenItFailsAfterCreatingIt) {
  // The socket is set up after the source: a bad --interface fails with the sink already there.
  scream::testing::PulseServer server("sender-fail", "rate=48000 channels=2");
  ASSERT_TRUE(server.start(false));
  const ProcessResult result =
      runSender({"--source", "pulse", "--sink-name", "ScreamFail", "--dest", "127.0.0.1", "--port",
                 "9", "--interface", "nosuchif0"},
                10000);
  EXPECT_EQ(result.exitCode, 2);
  EXPECT_NE(result.err.find("no such network interface"), std::string::npos) << result.err;
  const std::string dir = scream::testing::makeTempDir("scream-sender-fail");
  const std::string modules = output({"/usr/bin/pactl", "list", "short", "modules"}, dir);
  EXPECT_EQ(modules.find("ScreamFail"), std::string::npos) << modules;
}

TEST(DeviceSources, AlsaSourceCapturesThroughThePulsePluginAtTheDeviceRate) {
  // ALSA's "pulse" PCM (libasound2-plugins) records the private server's default source: the
  // monitor of its null sink, into which the test plays the tone. No sound card needed.
  scream::testing::PulseServer server("sender-alsa", "rate=48000 channels=2");
  ASSERT_TRUE(server.start());
  const std::string dir = scream::testing::makeTempDir("scream-sender-alsa");
  output({"/usr/bin/pactl", "set-default-source", server.sinkName() + ".monitor"}, dir);
  writeTone(dir + "/tone.raw", 48000, 4.0);
  Process player({"/usr/bin/pacat", "--playback", "-d", server.sinkName(), "--raw",
                  "--format=s16le", "--rate=48000", "--channels=2", dir + "/tone.raw"},
                 dir + "/pacat.out", dir + "/pacat.err");
  UdpCapture rx;
  rx.start();
  const ProcessResult result =
      runSender(to(rx, {"--source", "alsa", "-d", "pulse", "--duration", "3"}), 15000);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  const std::vector<Datagram> datagrams = rx.finish();
  const Format format{48000, 16, 2, 0x3};
  expectFullDatagrams(datagrams, format);
  // 3 s of audio; the pace from the second 100th datagram on (after start-up) is the device's.
  EXPECT_EQ(payload(datagrams).size(), 3u * 48000 * format.bytesPerFrame());
  ASSERT_GT(datagrams.size(), 300u);
  const double rate = framesPerSecond(datagrams, 100, format);
  std::printf("[ pace     ] %.0f frames/s\n", rate);
  EXPECT_NEAR(rate, 48000, 48000 * 0.03);
  expectTone(channel(datagrams, format, 0), 48000, 1.5);
}

TEST(DeviceSources, JackSourceNamesPortsBySpeakerAndSendsAtTheServerRate) {
  scream::testing::JackServer server("sender", 48000, 2);
  ASSERT_TRUE(server.start());
  const std::string dir = scream::testing::makeTempDir("scream-sender-jack");
  UdpCapture rx;
  rx.start();
  // --rate 44100 on purpose: the server's rate wins.
  SenderProcess sender(to(rx, {"--source", "jack", "--jack-client", "screamtest", "--channels", "6",
                               "--rate", "44100"}));
  const auto ports = [&] { return output({"/usr/bin/jack_lsp"}, dir); };
  ASSERT_TRUE(waitFor([&] { return ports().find("screamtest:BR") != std::string::npos; }, 5000))
      << ports();
  EXPECT_NE(ports().find("screamtest:FL\nscreamtest:FR\nscreamtest:FC\nscreamtest:LFE\n"
                         "screamtest:BL\nscreamtest:BR\n"),
            std::string::npos)
      << ports();
  // jack_simple_client plays a sine; its first output goes to our front-center port only.
  Process sine({"/usr/bin/jack_simple_client"}, dir + "/sine.out", dir + "/sine.err");
  ASSERT_TRUE(waitFor(
      [&] { return ports().find("jack_simple_client:output1") != std::string::npos; }, 5000));
  output({"/usr/bin/jack_connect", "jack_simple_client:output1", "screamtest:FC"}, dir);
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  sender.signal(SIGTERM);
  const ProcessResult result = sender.wait(5000);
  EXPECT_EQ(result.exitCode, 0) << result.err;

  const std::vector<Datagram> datagrams = rx.finish();
  const Format format{48000, 16, 6, 0x3F};
  expectFullDatagrams(datagrams, format);
  ASSERT_GT(datagrams.size(), 400u);
  const double rate = framesPerSecond(datagrams, 100, format);
  std::printf("[ pace     ] %.0f frames/s, %zu xruns\n", rate, server.xruns());
  EXPECT_NEAR(rate, 48000, 48000 * 0.03);
  const auto peak = [&](int ch) {
    float p = 0;
    for (float s : channel(datagrams, format, ch)) p = std::max(p, std::fabs(s));
    return p;
  };
  EXPECT_GT(peak(2), 0.1f) << "the sine did not arrive on FC";
  for (int ch : {0, 1, 3, 4, 5}) EXPECT_EQ(peak(ch), 0.0f) << "channel " << ch;
}

TEST(DeviceSources, SilenceThresholdHoldsBackASilentDeviceUntilSoundComes) {
  scream::testing::JackServer server("sender-silence", 48000, 2);
  ASSERT_TRUE(server.start());
  const std::string dir = scream::testing::makeTempDir("scream-sender-silence");
  UdpCapture rx;
  rx.start();
  // Unconnected input ports capture zeros: after 4800 silent frames (0.1 s) nothing is sent.
  SenderProcess sender(
      to(rx, {"--source", "jack", "--jack-client", "screamquiet", "--silence-threshold", "4800"}));
  const auto ports = [&] { return output({"/usr/bin/jack_lsp"}, dir); };
  ASSERT_TRUE(waitFor([&] { return ports().find("screamquiet:FR") != std::string::npos; }, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const uint64_t soundFrom = monotonicNs();
  Process sine({"/usr/bin/jack_simple_client"}, dir + "/sine.out", dir + "/sine.err");
  ASSERT_TRUE(waitFor(
      [&] { return ports().find("jack_simple_client:output1") != std::string::npos; }, 5000));
  output({"/usr/bin/jack_connect", "jack_simple_client:output1", "screamquiet:FL"}, dir);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  sender.signal(SIGTERM);
  EXPECT_EQ(sender.wait(5000).exitCode, 0);

  const std::vector<Datagram> datagrams = rx.finish();
  size_t beforeSound = 0;
  for (const Datagram& d : datagrams) beforeSound += d.arrivalNs < soundFrom;
  // Only the threshold's 4800 frames (17 datagrams of 288 frames) went out before the sine, not
  // the 167 of the silent second.
  EXPECT_LE(beforeSound, 18u);
  EXPECT_GT(datagrams.size() - beforeSound, 50u) << "the sine did not resume the stream";
  std::printf("[ silence  ] %zu datagrams before the sine, %zu after\n", beforeSound,
              datagrams.size() - beforeSound);
}

}  // namespace
}  // namespace scream::test
