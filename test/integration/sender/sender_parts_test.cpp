// Unit tests of scream-send's parts: tone, WAV reader, stdin source, pacer, command line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "sender/options.h"
#include "sender/pacer.h"
#include "sender/stdin_source.h"
#include "sender/tone_source.h"
#include "sender/wav_file.h"

namespace scream::sender {
namespace {

using protocol::Format;

int32_t sample(const std::vector<uint8_t>& pcm, const Format& f, size_t frame, int ch) {
  const uint32_t bps = f.bytesPerSample();
  const uint8_t* p = pcm.data() + frame * f.bytesPerFrame() + ch * bps;
  uint32_t u = 0;
  for (uint32_t i = 0; i < bps; ++i) u |= uint32_t{p[i]} << (8 * i);
  const uint32_t shift = 32 - 8 * bps;
  return static_cast<int32_t>(u << shift) >> shift;
}

TEST(ToneSource, MarkersIrregularlySpacedNeverPeriodic) {
  ToneSource tone(Format{48000, 16, 2, 0x3});
  EXPECT_EQ(tone.markerFrame(0), 31680u);  // the pattern is fixed: logs from any run compare
  EXPECT_EQ(tone.markerFrame(1), 82560u);
  EXPECT_EQ(tone.nextMarker(0), 31680u);
  EXPECT_EQ(tone.nextMarker(31680), 31680u);
  EXPECT_EQ(tone.nextMarker(31681), 82560u);
  EXPECT_EQ(tone.markerFrames(), 480u);
  std::set<uint64_t> intervals;
  for (uint64_t n = 0; n < 1000; ++n) {
    const uint64_t interval = tone.markerFrame(n + 1) - tone.markerFrame(n);
    EXPECT_GE(interval, 0.4 * 48000) << n;
    EXPECT_LE(interval, 1.6 * 48000) << n;
    EXPECT_EQ(interval % 480, 0u) << "whole hundredths of a second";
    EXPECT_EQ(tone.nextMarker(tone.markerFrame(n) + 1), tone.markerFrame(n + 1));
    intervals.insert(interval);
  }
  EXPECT_GT(intervals.size(), 100u);
  ToneSource mono(Format{44100, 16, 1, 0x4});
  EXPECT_EQ(mono.nextMarker(30000), mono.markerFrame(1));
  EXPECT_EQ(mono.markerFrame(0) % 441, 0u);
}

TEST(ToneSource, SignalIsTheProbe) {
  const Format f{44100, 24, 4, 0x33};
  ToneSource tone(f);
  std::vector<uint8_t> pcm(size_t{3 * 44100} * f.bytesPerFrame());
  // Read in odd chunk sizes: the signal must not depend on them.
  size_t done = 0;
  while (done < 3 * 44100) {
    const size_t n = std::min<size_t>(1234, 3 * 44100 - done);
    ASSERT_EQ(tone.read(pcm.data() + done * f.bytesPerFrame(), n), n);
    done += n;
  }
  const double half = 8388607 / 2.0;
  for (size_t i = 0; i < 3 * 44100; ++i) {
    ASSERT_NEAR(sample(pcm, f, i, 0), half * std::sin(2 * M_PI * 997.0 * i / 44100), 1.0) << i;
    uint64_t marker = 0;  // the last marker started at or before i
    while (tone.markerFrame(marker + 1) <= i) ++marker;
    const bool inMarker = i >= tone.markerFrame(marker) && i - tone.markerFrame(marker) < 441;
    if (inMarker) {
      const double t = static_cast<double>(i - tone.markerFrame(marker)) / 44100;
      ASSERT_NEAR(sample(pcm, f, i, 1), half * std::cos(2 * M_PI * 3000 * t), 1.0) << i;
    } else {
      ASSERT_EQ(sample(pcm, f, i, 1), 0) << i;
    }
    ASSERT_EQ(sample(pcm, f, i, 2), 0);
    ASSERT_EQ(sample(pcm, f, i, 3), 0);
  }
}

class TempFile {
 public:
  TempFile() {
    char path[] = "/tmp/scream-send-unit-XXXXXX";
    close(mkstemp(path));
    path_ = path;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }
  void write(const std::vector<uint8_t>& bytes) const {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }

 private:
  std::string path_;
};

struct WavBuilder {
  std::vector<uint8_t> bytes;
  void tag(const char* t) {
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<uint8_t>(t[i]));
  }
  void u16(uint32_t v) {
    bytes.push_back(static_cast<uint8_t>(v));
    bytes.push_back(static_cast<uint8_t>(v >> 8));
  }
  void u32(uint32_t v) {
    u16(v & 0xFFFF);
    u16(v >> 16);
  }
  // RIFF header + 16-byte PCM fmt chunk.
  WavBuilder(uint16_t tag, uint16_t channels, uint32_t rate, uint16_t bits, uint16_t align) {
    this->tag("RIFF");
    u32(0);
    this->tag("WAVE");
    this->tag("fmt ");
    u32(16);
    u16(tag);
    u16(channels);
    u32(rate);
    u32(rate * align);
    u16(align);
    u16(bits);
  }
  void data(uint32_t declared, size_t actual) {
    tag("data");
    u32(declared);
    for (size_t i = 0; i < actual; ++i) bytes.push_back(static_cast<uint8_t>(i + 1));
  }
};

std::string openError(const std::vector<uint8_t>& bytes) {
  TempFile file;
  file.write(bytes);
  std::string error;
  auto source = WavFileSource::open(file.path(), false, &error);
  return source ? "" : error;
}

TEST(WavFile, ReadsPcmAndDropsATrailingPartialFrame) {
  WavBuilder wav(1, 2, 44100, 24, 6);
  wav.data(6 * 10 + 4, 6 * 10 + 4);
  TempFile file;
  file.write(wav.bytes);
  std::string error;
  auto source = WavFileSource::open(file.path(), false, &error);
  ASSERT_TRUE(source) << error;
  EXPECT_TRUE(source->format() == (Format{44100, 24, 2, 0x3}));
  std::vector<uint8_t> out(6 * 20);
  EXPECT_EQ(source->read(out.data(), 20), 10u);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[59], 60);
  EXPECT_EQ(source->read(out.data(), 20), 0u);
}

TEST(WavFile, StreamedSizeMeansToTheEndOfTheFile) {
  WavBuilder wav(1, 1, 48000, 16, 2);
  wav.data(0xFFFFFFFF, 100);
  TempFile file;
  file.write(wav.bytes);
  std::string error;
  auto source = WavFileSource::open(file.path(), false, &error);
  ASSERT_TRUE(source) << error;
  std::vector<uint8_t> out(1000);
  EXPECT_EQ(source->read(out.data(), 500), 50u);
}

TEST(WavFile, LoopWrapsToTheStartOfTheData) {
  WavBuilder wav(1, 1, 48000, 16, 2);
  wav.data(6, 6);
  TempFile file;
  file.write(wav.bytes);
  std::string error;
  auto source = WavFileSource::open(file.path(), true, &error);
  ASSERT_TRUE(source) << error;
  std::vector<uint8_t> out(14);
  EXPECT_EQ(source->read(out.data(), 7), 7u);
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2}));
}

TEST(WavFile, EmptyLoopEndsInsteadOfSpinning) {
  WavBuilder wav(1, 1, 48000, 16, 2);
  wav.data(0, 0);
  TempFile file;
  file.write(wav.bytes);
  std::string error;
  auto source = WavFileSource::open(file.path(), true, &error);
  ASSERT_TRUE(source) << error;
  uint8_t out[8];
  EXPECT_EQ(source->read(out, 4), 0u);
}

TEST(WavFile, RefusesWhatTheProtocolCannotCarry) {
  EXPECT_NE(openError({'R', 'I', 'F', 'F'}).find("not a RIFF/WAVE"), std::string::npos);
  {
    WavBuilder wav(3, 2, 48000, 32, 8);
    wav.data(8, 8);
    EXPECT_NE(openError(wav.bytes).find("floating-point"), std::string::npos);
  }
  {
    WavBuilder wav(1, 2, 48000, 8, 2);
    wav.data(8, 8);
    EXPECT_NE(openError(wav.bytes).find("8-bit"), std::string::npos);
  }
  {
    WavBuilder wav(1, 9, 48000, 16, 18);
    wav.data(18, 18);
    EXPECT_NE(openError(wav.bytes).find("9 channels"), std::string::npos);
  }
  {
    WavBuilder wav(1, 2, 22050, 16, 4);
    wav.data(8, 8);
    EXPECT_NE(openError(wav.bytes).find("multiple of 44100 or 48000"), std::string::npos);
  }
  {
    WavBuilder wav(1, 2, 48000, 16, 6);
    wav.data(12, 12);
    EXPECT_NE(openError(wav.bytes).find("block align"), std::string::npos);
  }
  {
    WavBuilder wav(1, 2, 48000, 16, 4);  // no data chunk
    EXPECT_NE(openError(wav.bytes).find("no data chunk"), std::string::npos);
  }
  EXPECT_NE(openError({}).find("not a RIFF/WAVE"), std::string::npos);
}

TEST(StdinSource, CarriesPartialFramesAcrossReadsAndDropsOneAtTheEnd) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  StdinSource source(Format{48000, 24, 2, 0x3}, fds[0]);  // 6-byte frames
  std::vector<uint8_t> in(6 * 3 + 2);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i + 1);
  ASSERT_EQ(write(fds[1], in.data(), 8), 8);  // one frame and 2 bytes of the next
  close(fds[1]);                              // then the end, before the rest arrives
  std::vector<uint8_t> out(6 * 4);
  EXPECT_EQ(source.read(out.data(), 4), 1u);
  EXPECT_TRUE(source.ended());
  close(fds[0]);

  ASSERT_EQ(pipe(fds), 0);
  StdinSource again(Format{48000, 24, 2, 0x3}, fds[0]);
  ASSERT_EQ(write(fds[1], in.data(), in.size()), static_cast<ssize_t>(in.size()));
  close(fds[1]);
  EXPECT_EQ(again.read(out.data(), 2), 2u);
  EXPECT_EQ(again.read(out.data(), 4), 1u) << "the 2 trailing bytes are not a frame";
  EXPECT_EQ(out[0], 13);
  close(fds[0]);
}

TEST(Pacer, ClockPpmScalesTheCounterFrequency) {
  EXPECT_EQ(Pacer(48000, 0, 5).counterFrequency(), 1'000'000'000u);
  EXPECT_EQ(Pacer(48000, 1000, 5).counterFrequency(), 999'000'999u);
  EXPECT_EQ(Pacer(48000, -1000, 5).counterFrequency(), 1'001'001'001u);
}

ParseResult parse(std::vector<std::string> args) {
  args.insert(args.begin(), "scream-send");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parseCommandLine(static_cast<int>(argv.size()), argv.data());
}

TEST(Options, DefaultsAndFormat) {
  const auto r = parse({"--source", "tone"});
  ASSERT_TRUE(r.run);
  EXPECT_EQ(r.options.udp.destination, (driver::Ipv4Address{{239, 255, 77, 77}}));
  EXPECT_EQ(r.options.udp.port, 4010);
  EXPECT_EQ(r.options.udp.ttl, -1);
  EXPECT_EQ(r.options.udp.dscp, -1);
  EXPECT_EQ(r.options.burstMs, 5u);
  EXPECT_TRUE(r.options.format == (Format{48000, 16, 2, 0x3}));
  const auto six = parse({"--source", "stdin", "--channels", "6", "--bits", "24"});
  ASSERT_TRUE(six.run);
  EXPECT_EQ(six.options.format.channelMask, 0x3F) << "Windows' mask for 6 channels";
  const auto masked = parse({"--source", "stdin", "--channels", "2", "--mask", "0x600"});
  EXPECT_EQ(masked.options.format.channelMask, 0x600);
}

TEST(Options, BindForms) {
  auto r = parse({"--source", "tone", "--bind", "127.0.0.1:5000"});
  ASSERT_TRUE(r.run);
  EXPECT_EQ(r.options.udp.bindAddress, (driver::Ipv4Address{{127, 0, 0, 1}}));
  EXPECT_EQ(r.options.udp.bindPort, 5000);
  r = parse({"--source", "tone", "--bind", ":6000"});
  ASSERT_TRUE(r.run);
  EXPECT_TRUE(r.options.udp.bindAddress.isAny());
  EXPECT_EQ(r.options.udp.bindPort, 6000);
  r = parse({"--source", "tone", "--bind", "10.0.0.1"});
  ASSERT_TRUE(r.run);
  EXPECT_EQ(r.options.udp.bindPort, 0);
  for (const char* bad : {"10.0.0.1:", "10.0.0.1:70000", "host:1", ":", "1.2.3.4:-1"}) {
    const auto e = parse({"--source", "tone", "--bind", bad});
    EXPECT_FALSE(e.run) << bad;
    EXPECT_EQ(e.exitCode, kExitUsage) << bad;
  }
}

TEST(Options, FileSourceTakesThePath) {
  const auto r = parse({"--source", "file:/tmp/a b.wav", "--loop"});
  ASSERT_TRUE(r.run);
  EXPECT_EQ(r.options.filePath, "/tmp/a b.wav");
  EXPECT_TRUE(r.options.loop);
  EXPECT_EQ(parse({"--source", "file:"}).exitCode, kExitUsage);
}

}  // namespace
}  // namespace scream::sender
