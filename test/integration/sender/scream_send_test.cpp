// scream-send end to end: a real process sending to a UDP socket on 127.0.0.1.
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <fstream>
#include <regex>

#include "protocol/channel_map.h"
#include "protocol/header.h"
#include "sender_harness.h"

namespace scream::test {
namespace {

using protocol::Format;
using protocol::kDatagramBytes;
using protocol::kHeaderBytes;
using protocol::kPayloadBytes;

std::vector<std::string> to(const UdpCapture& rx, std::vector<std::string> args) {
  args.insert(args.end(), {"--dest", "127.0.0.1", "--port", std::to_string(rx.port())});
  return args;
}

std::vector<std::string> formatArgs(const Format& f) {
  char mask[16];
  std::snprintf(mask, sizeof mask, "0x%x", f.channelMask);
  return {"--rate",     std::to_string(f.sampleRate), "--bits", std::to_string(f.bitsPerSample),
          "--channels", std::to_string(f.channels),   "--mask", mask};
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string seconds(uint64_t frames, uint32_t rate) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9f", static_cast<double>(frames) / rate);
  return text;
}

int32_t sampleAt(const std::vector<uint8_t>& pcm, const Format& f, uint64_t frame, int ch) {
  const uint32_t bps = f.bytesPerSample();
  const uint8_t* p = pcm.data() + frame * f.bytesPerFrame() + ch * bps;
  uint32_t u = 0;
  for (uint32_t i = 0; i < bps; ++i) u |= uint32_t{p[i]} << (8 * i);
  const uint32_t shift = 32 - 8 * bps;
  return static_cast<int32_t>(u << shift) >> shift;
}

TEST(ScreamSend, EveryDatagramHasTheRightHeaderForEveryLayout) {
  // The tone in every sample size and channel count; 3456 frames is a whole number of
  // payloads for any frame size, so every datagram must be full.
  for (uint8_t bits : {16, 24, 32}) {
    for (uint8_t channels = 1; channels <= 8; ++channels) {
      const Format f{channels % 2 ? 44100u : 48000u, bits, channels,
                     protocol::defaultMaskForChannels(channels)};
      SCOPED_TRACE(testing::Message() << int(bits) << " bit " << int(channels) << " ch");
      UdpCapture rx;
      rx.start();
      const auto result = runSender(
          to(rx, {"--source", "tone", "--duration", seconds(3456, f.sampleRate)}) + formatArgs(f),
          10000);
      const auto datagrams = rx.finish(100);
      ASSERT_EQ(result.exitCode, 0) << result.err;
      uint8_t header[kHeaderBytes];
      ASSERT_EQ(protocol::encodeHeader(f, header), protocol::FormatError::kOk);
      ASSERT_EQ(datagrams.size(), 3u * f.bytesPerFrame());
      for (const auto& d : datagrams) {
        ASSERT_EQ(d.bytes.size(), kDatagramBytes);
        ASSERT_TRUE(std::equal(header, header + kHeaderBytes, d.bytes.begin()));
      }
      // The tone itself: channel 0 is a 997 Hz sine at half full scale, the rest silent
      // before the first marker.
      const auto pcm = payload(datagrams);
      const double full = std::ldexp(1.0, bits - 1) - 1;
      int32_t peak = 0;
      for (uint64_t i = 0; i < 3456; ++i) {
        const double expected = full / 2 * std::sin(2 * M_PI * 997.0 * i / f.sampleRate);
        ASSERT_NEAR(sampleAt(pcm, f, i, 0), expected, 1.0) << "frame " << i;
        peak = std::max(peak, std::abs(sampleAt(pcm, f, i, 0)));
        for (int ch = 1; ch < channels; ++ch) ASSERT_EQ(sampleAt(pcm, f, i, ch), 0);
      }
      EXPECT_NEAR(peak, full / 2, full / 2 * 0.01) << "-6 dBFS";
    }
  }
}

TEST(ScreamSend, StdinIsSentByteExact) {
  TempDir dir;
  for (const Format& f :
       {Format{48000, 16, 2, 0x3}, Format{44100, 24, 5, 0x1F}, Format{96000, 32, 7, 0x13F}}) {
    SCOPED_TRACE(testing::Message() << int(f.bitsPerSample) << " bit " << int(f.channels));
    const auto pcm = randomPcm(f.bytesPerFrame() * (f.sampleRate / 5) + 3, f.channels);
    writeFile(dir.file("in.raw"), pcm);
    UdpCapture rx;
    rx.start();
    const auto result =
        runSender(to(rx, {"--source", "stdin"}) + formatArgs(f), 10000, dir.file("in.raw"));
    const auto datagrams = rx.finish(100);
    ASSERT_EQ(result.exitCode, 0) << result.err;
    // Whole frames only: the 3 trailing bytes are not a frame.
    EXPECT_EQ(payload(datagrams), std::vector<uint8_t>(pcm.begin(), pcm.end() - 3));
    for (size_t i = 0; i + 1 < datagrams.size(); ++i) {
      ASSERT_EQ(datagrams[i].bytes.size(), kDatagramBytes) << "datagram " << i;
    }
  }
}

TEST(ScreamSend, WavFileIsByteExactAt16And24And32Bit) {
  TempDir dir;
  const Format formats[] = {
      {44100, 16, 2, 0x3}, {48000, 24, 6, 0x3F}, {48000, 32, 3, 0x7}, {44100, 24, 1, 0x4}};
  int n = 0;
  for (const Format& f : formats) {
    SCOPED_TRACE(testing::Message() << int(f.bitsPerSample) << " bit " << int(f.channels));
    const bool extensible = n % 2 == 1;
    const auto pcm = randomPcm(f.bytesPerFrame() * (f.sampleRate / 4), 100 + n++);
    const std::string path = dir.file("in" + std::to_string(n) + ".wav");
    writeWav(path, f, pcm, extensible);
    UdpCapture rx;
    rx.start();
    const auto result = runSender(to(rx, {"--source", "file:" + path}), 10000);
    const auto datagrams = rx.finish(100);
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(payload(datagrams), pcm);
    uint8_t header[kHeaderBytes];
    ASSERT_EQ(protocol::encodeHeader(f, header), protocol::FormatError::kOk);
    for (const auto& d : datagrams) {
      ASSERT_TRUE(std::equal(header, header + kHeaderBytes, d.bytes.begin()));
    }
    EXPECT_NE(result.err.find(path), std::string::npos) << "status line names the source";
  }
}

TEST(ScreamSend, LoopRepeatsTheFile) {
  TempDir dir;
  const Format f{48000, 16, 2, 0x3};
  const auto pcm = randomPcm(4 * 4800, 5);  // 100 ms
  writeWav(dir.file("loop.wav"), f, pcm, false);
  UdpCapture rx;
  rx.start();
  const auto result = runSender(
      to(rx, {"--source", "file:" + dir.file("loop.wav"), "--loop", "--duration", "0.35"}), 10000);
  const auto datagrams = rx.finish(100);
  ASSERT_EQ(result.exitCode, 0) << result.err;
  std::vector<uint8_t> expected;
  for (int i = 0; i < 3; ++i) expected.insert(expected.end(), pcm.begin(), pcm.end());
  expected.insert(expected.end(), pcm.begin(), pcm.begin() + pcm.size() / 2);
  EXPECT_EQ(payload(datagrams), expected);
}

// Reference gate: frames of `pcm` that pass with `threshold`, and the indices (in the input)
// of the first suppressed frame of each silent stretch.
std::vector<uint8_t> gated(const std::vector<uint8_t>& pcm, uint32_t bpf, uint32_t threshold) {
  std::vector<uint8_t> out;
  uint32_t run = 0;
  for (size_t f = 0; f + bpf <= pcm.size(); f += bpf) {
    bool silent = true;
    for (uint32_t i = 0; i < bpf; ++i) silent = silent && pcm[f + i] == 0;
    run = silent ? run + 1 : 0;
    if (run <= threshold) out.insert(out.end(), pcm.begin() + f, pcm.begin() + f + bpf);
  }
  return out;
}

TEST(ScreamSend, SilenceSuppressionStopsAndResumesAtFrameBoundaries) {
  TempDir dir;
  for (uint8_t bits : {16, 24, 32}) {
    SCOPED_TRACE(testing::Message() << int(bits) << " bit");
    const Format f{48000, bits, 2, 0x3};
    const uint32_t bpf = f.bytesPerFrame();
    // 100 ms sound, 300 ms silence, 100 ms sound, 5 ms silence (below the threshold), 100 ms
    // sound, 200 ms silence at the end.
    std::vector<uint8_t> pcm;
    auto sound = [&](uint32_t frames, uint32_t seed) {
      const auto s = randomPcm(frames * bpf, seed);
      pcm.insert(pcm.end(), s.begin(), s.end());
    };
    auto silence = [&](uint32_t frames) { pcm.insert(pcm.end(), size_t{frames} * bpf, 0); };
    sound(4800, 1);
    silence(14400);
    sound(4800, 2);
    silence(240);
    sound(4801, 3);
    silence(9600);
    // A silent sample inside a sound frame must not count: zero the left channel of one frame.
    std::fill(pcm.begin() + 100 * bpf, pcm.begin() + 100 * bpf + bpf / 2, 0);
    writeWav(dir.file("gaps.wav"), f, pcm, bits == 24);
    UdpCapture rx;
    rx.start();
    const auto result = runSender(
        to(rx, {"--source", "file:" + dir.file("gaps.wav"), "--silence-threshold", "480", "-v"}),
        10000);
    const auto datagrams = rx.finish(100);
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(payload(datagrams), gated(pcm, bpf, 480));
    // Each suppression flushed the payload at once, and the stream really went quiet: the
    // longest gap between datagrams is about the 300 ms silence minus the 10 ms threshold.
    uint64_t longest = 0;
    for (size_t i = 1; i < datagrams.size(); ++i) {
      longest = std::max(longest, datagrams[i].arrivalNs - datagrams[i - 1].arrivalNs);
    }
    EXPECT_GT(longest, 250'000'000u);
    EXPECT_LT(longest, 400'000'000u);
    EXPECT_NE(result.err.find(std::to_string(14400 - 480 + 9600 - 480) + " frames suppressed"),
              std::string::npos)
        << result.err;
  }
}

// Least-squares slope of frames received against arrival time, in frames per second.
double measuredRate(const std::vector<Datagram>& datagrams, uint32_t bpf) {
  double n = 0, st = 0, sf = 0, stt = 0, stf = 0;
  uint64_t bytes = 0;
  const uint64_t t0 = datagrams.front().arrivalNs;
  for (const auto& d : datagrams) {
    bytes += d.bytes.size() - kHeaderBytes;
    const double t = static_cast<double>(d.arrivalNs - t0) * 1e-9;
    const double frames = static_cast<double>(bytes) / bpf;
    n += 1;
    st += t;
    sf += frames;
    stt += t * t;
    stf += t * frames;
  }
  return (n * stf - st * sf) / (n * stt - st * st);
}

// Sends 6 s of tone and fits the frame rate to the arrival times. Over 6 s, 1000 ppm is 6 ms
// of audio; the fit over ~1000 datagrams is good to a few tens of ppm.
void checkRate(double ppm, double tolerancePpm) {
  UdpCapture rx;
  rx.start();
  std::vector<std::string> args = {"--source", "tone", "--duration", "6"};
  if (ppm != 0) args.insert(args.end(), {"--clock-ppm", std::to_string(ppm)});
  const auto result = runSender(to(rx, args), 20000);
  const auto datagrams = rx.finish(100);
  ASSERT_EQ(result.exitCode, 0) << result.err;
  ASSERT_EQ(payload(datagrams).size(), 6u * 48000 * 4) << "every frame of 6 s arrived";
  const double rate = measuredRate(datagrams, 4);
  const double errorPpm = (rate / (48000.0 * (1 + ppm * 1e-6)) - 1) * 1e6;
  testing::Test::RecordProperty("measured_rate", std::to_string(rate));
  testing::Test::RecordProperty("error_ppm", std::to_string(errorPpm));
  std::printf("clock %+g ppm: measured %.3f frames/s, %+.1f ppm from the expected rate\n", ppm,
              rate, errorPpm);
  EXPECT_LT(std::abs(errorPpm), tolerancePpm);
}

TEST(ScreamSend, FrameRateMatchesTheClock) {
  checkRate(0, 500);
}  // 0.05 %
TEST(ScreamSend, FrameRateFollowsClockPpmFast) {
  checkRate(1000, 250);
}
TEST(ScreamSend, FrameRateFollowsClockPpmSlow) {
  checkRate(-1000, 250);
}

TEST(ScreamSend, BurstsFollowBurstMs) {
  // 48 kHz/16/2 at 20 ms bursts: 3840 bytes per burst, so datagrams arrive in groups of 3-4
  // with ~20 ms between groups.
  UdpCapture rx;
  rx.start();
  const auto result =
      runSender(to(rx, {"--source", "tone", "--duration", "1", "--burst-ms", "20"}), 10000);
  const auto datagrams = rx.finish(100);
  ASSERT_EQ(result.exitCode, 0) << result.err;
  size_t groups = 1;
  for (size_t i = 1; i < datagrams.size(); ++i) {
    groups += datagrams[i].arrivalNs - datagrams[i - 1].arrivalNs > 10'000'000;
  }
  EXPECT_GT(groups, 40u);
  EXPECT_LT(groups, 55u);
  EXPECT_GT(datagrams.size(), 2.5 * groups);
}

TEST(ScreamSend, MarkerLogRecordsEachMarkersSendTime) {
  TempDir dir;
  UdpCapture rx;
  rx.start();
  const uint64_t before = monotonicNs();
  const auto result = runSender(
      to(rx, {"--source", "tone", "--duration", "1.8", "--marker-log", dir.file("markers.jsonl")}),
      10000);
  const auto datagrams = rx.finish(100);
  ASSERT_EQ(result.exitCode, 0) << result.err;
  std::ifstream in(dir.file("markers.jsonl"));
  std::string line;
  std::regex pattern(R"(\{"marker":(\d+),"frame":(\d+),"send_ns":(\d+)\})");
  std::vector<std::pair<uint64_t, uint64_t>> markers;  // frame, send_ns
  while (std::getline(in, line)) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, pattern)) << line;
    EXPECT_EQ(std::stoull(m[1]), markers.size());
    markers.emplace_back(std::stoull(m[2]), std::stoull(m[3]));
  }
  ASSERT_EQ(markers.size(), 2u);
  EXPECT_EQ(markers[0].first, 31680u);  // irregular spacing: tone_source.h
  EXPECT_EQ(markers[1].first, 82560u);
  const auto pcm = payload(datagrams);
  const Format f{48000, 16, 2, 0x3};
  for (const auto& [frame, sendNs] : markers) {
    // The burst starts at full burst amplitude on channel 1, silence just before.
    EXPECT_EQ(sampleAt(pcm, f, frame - 1, 1), 0);
    EXPECT_EQ(sampleAt(pcm, f, frame, 1), 16384);
    EXPECT_EQ(sampleAt(pcm, f, frame + 480, 1), 0) << "10 ms burst";
    EXPECT_NE(sampleAt(pcm, f, frame + 479, 1), 0);
    // The datagram holding the marker's first byte arrived just after the logged send time.
    const size_t index = frame * 4 / kPayloadBytes;
    ASSERT_LT(index, datagrams.size());
    EXPECT_GT(sendNs, before);
    EXPECT_GE(datagrams[index].arrivalNs, sendNs);
    EXPECT_LT(datagrams[index].arrivalNs - sendNs, 50'000'000u);
    ASSERT_LT(index + 1, datagrams.size());
    EXPECT_LT(sendNs, datagrams[index + 1].arrivalNs) << "logged with its own datagram";
  }
}

TEST(ScreamSend, SigtermFlushesAndExitsZero) {
  UdpCapture rx;
  rx.start();
  SenderProcess sender(to(rx, {"--source", "tone", "-v"}));
  usleep(400'000);
  sender.signal(SIGTERM);
  const auto result = sender.wait(5000);
  const auto datagrams = rx.finish(100);
  ASSERT_EQ(result.exitCode, 0) << result.err;
  // The sender says how many frames it took; all of them arrived, including the partial payload.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(result.err, m, std::regex(R"((\d+) frames, (\d+) datagrams)")))
      << result.err;
  EXPECT_EQ(payload(datagrams).size(), std::stoull(m[1]) * 4);
  EXPECT_EQ(datagrams.size(), std::stoull(m[2]));
}

TEST(ScreamSend, SocketOptionsReachThePackets) {
  UdpCapture rx;
  uint16_t bindPort;
  {
    UdpCapture probe;  // an unused port for --bind: take one, then free it
    bindPort = probe.port();
  }
  rx.start();
  const auto result =
      runSender(to(rx, {"--source", "tone", "--duration", "0.05", "--dscp", "46", "--ttl", "7",
                        "--bind", "127.0.0.1:" + std::to_string(bindPort)}),
                10000);
  const auto datagrams = rx.finish(100);
  ASSERT_EQ(result.exitCode, 0) << result.err;
  ASSERT_FALSE(datagrams.empty());
  for (const auto& d : datagrams) {
    EXPECT_EQ(d.tos, 46 << 2) << "DSCP 46 (EF) in the TOS byte";
    EXPECT_EQ(d.ttl, 7);
    EXPECT_EQ(d.sourcePort, bindPort);
  }
}

struct BadCase {
  std::vector<std::string> args;
  const char* mentions;
};

TEST(ScreamSend, BadOptionsExitWithTwoAndSayWhy) {
  TempDir dir;
  writeWav(dir.file("float.wav"), Format{48000, 32, 2, 0x3}, std::vector<uint8_t>(800, 1), false,
           3);
  writeWav(dir.file("rate.wav"), Format{32000, 16, 2, 0x3}, std::vector<uint8_t>(800, 1), false);
  writeFile(dir.file("junk.wav"), std::vector<uint8_t>(100, 7));
  const BadCase cases[] = {
      {{"--source", "file:" + dir.file("missing.wav")}, "No such file"},
      {{"--source", "file:" + dir.file("float.wav")}, "floating-point"},
      {{"--source", "file:" + dir.file("rate.wav")}, "multiple of 44100 or 48000"},
      {{"--source", "file:" + dir.file("junk.wav")}, "not a RIFF/WAVE file"},
      {{"--source", "tone", "--rate", "32000"}, "multiple of 44100 or 48000"},
      {{"--source", "tone", "--bits", "20"}, "16, 24 or 32"},
      {{"--source", "tone", "--channels", "9"}, "larger than 8"},
      {{"--source", "tone", "--channels", "0"}, "channel count is 0"},
      {{"--source", "tone", "--port", "70000"}, "--port"},
      {{"--source", "tone", "--dest", "example.org"}, "--dest"},
      {{"--source", "tone", "--dscp", "64"}, "--dscp"},
      {{"--source", "tone", "--ttl", "0"}, "--ttl"},
      {{"--source", "tone", "--bind", "1.2.3:4"}, "--bind"},
      {{"--source", "tone", "--interface", "nosuchif0"}, "no such network interface"},
      {{"--source", "tone", "--duration", "-1"}, "--duration"},
      {{"--source", "tone", "--clock-ppm", "abc"}, "--clock-ppm"},
      {{"--source", "pulse", "--clock-ppm", "5"}, "--clock-ppm does not apply"},
      {{"--source", "pulse", "--sink-name", "a b"}, "--sink-name"},
      {{"--source", "mic"}, "unknown source"},
      {{"--source", "stdin", "--loop"}, "--loop"},
      {{"--source", "stdin", "--marker-log", "/tmp/x"}, "--marker-log"},
      {{"--rate", "48000"}, "--source"},
      {{"--source", "tone", "--no-such-flag"}, "--no-such-flag"},
  };
  for (const BadCase& c : cases) {
    // Never the default group: every case gets a loopback destination unless it names its own.
    std::vector<std::string> args = c.args;
    auto has = [&](const char* o) { return std::find(args.begin(), args.end(), o) != args.end(); };
    if (!has("--dest")) args.insert(args.end(), {"--dest", "127.0.0.1"});
    if (!has("--port")) args.insert(args.end(), {"--port", "9"});
    const auto result = runSender(args, 5000);
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    EXPECT_EQ(result.exitCode, 2) << joined << "\n" << result.err;
    EXPECT_NE(result.err.find(c.mentions), std::string::npos) << joined << "\n" << result.err;
  }
}

TEST(ScreamSend, HelpDescribesEveryOption) {
  const auto result = runSender({"--help"}, 5000);
  EXPECT_EQ(result.exitCode, 0);
  for (const char* option : {"--source",     "--loop",
                             "--marker-log", "--rate",
                             "--bits",       "--channels",
                             "--mask",       "--dest",
                             "--port",       "--ttl",
                             "--interface",  "--dscp",
                             "--bind",       "--silence-threshold",
                             "--duration",   "--clock-ppm",
                             "--burst-ms",   "--verbose",
                             "tone",         "stdin",
                             "file:PATH",    "pulse",
                             "alsa",         "jack",
                             "--sink-name",  "--device",
                             "--jack-client"}) {
    EXPECT_NE(result.out.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace scream::test
