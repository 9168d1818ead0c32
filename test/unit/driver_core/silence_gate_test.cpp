#include "driver/core/silence_gate.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace scream::driver {
namespace {

struct Runs {
  std::vector<uint8_t> passed;
  size_t suppressedBytes = 0;
  std::vector<std::pair<size_t, bool>> runs;  // (bytes, pass) as handed out
  void operator()(const uint8_t* data, size_t size, bool pass) {
    runs.emplace_back(size, pass);
    if (pass) {
      passed.insert(passed.end(), data, data + size);
    } else {
      suppressedBytes += size;
    }
  }
};

// Reference: the frames that must pass for a given threshold, decided frame by frame.
std::vector<uint8_t> expectedPassed(const std::vector<uint8_t>& pcm, uint32_t bpf,
                                    uint32_t threshold) {
  std::vector<uint8_t> out;
  uint32_t run = 0;
  for (size_t f = 0; f + bpf <= pcm.size(); f += bpf) {
    bool silent = true;
    for (uint32_t i = 0; i < bpf; ++i) silent = silent && pcm[f + i] == 0;
    run = silent ? run + 1 : 0;
    if (threshold == 0 || run <= threshold)
      out.insert(out.end(), pcm.begin() + f, pcm.begin() + f + bpf);
  }
  return out;
}

// `frames` frames: sound (every byte 0x11) except the silent frames listed.
std::vector<uint8_t> withSilence(size_t frames, uint32_t bpf, size_t silentFrom, size_t silentTo) {
  std::vector<uint8_t> pcm(frames * bpf, 0x11);
  for (size_t f = silentFrom; f < silentTo; ++f) {
    for (uint32_t i = 0; i < bpf; ++i) pcm[f * bpf + i] = 0;
  }
  return pcm;
}

TEST(SilenceGate, ThresholdZeroPassesEverythingUnsplit) {
  SilenceGate gate;
  gate.configure(0, 4);
  const std::vector<uint8_t> pcm(1001, 0);
  Runs out;
  gate.process(pcm.data(), pcm.size(), out);
  ASSERT_EQ(out.runs.size(), 1u);
  EXPECT_EQ(out.runs[0], std::make_pair(size_t{1001}, true));
  EXPECT_FALSE(gate.suppressing());
}

TEST(SilenceGate, CountsFramesNotSamples) {
  // Stereo 16 bit, threshold 4: four silent frames (eight samples) pass, the fifth is held back.
  // Upstream, counting samples, would already stop after two frames.
  SilenceGate gate;
  gate.configure(4, 4);
  const auto pcm = withSilence(20, 4, 10, 20);
  Runs out;
  gate.process(pcm.data(), pcm.size(), out);
  ASSERT_EQ(out.runs.size(), 2u);
  EXPECT_EQ(out.runs[0], std::make_pair(size_t{14 * 4}, true));
  EXPECT_EQ(out.runs[1], std::make_pair(size_t{6 * 4}, false));
  EXPECT_TRUE(gate.suppressing());
  EXPECT_EQ(gate.suppressedFrames(), 6u);
}

TEST(SilenceGate, DetectsSilenceAt16And24And32Bit) {
  for (uint32_t bytesPerSample : {2u, 3u, 4u}) {
    for (uint32_t channels : {1u, 2u, 5u, 8u}) {
      const uint32_t bpf = bytesPerSample * channels;
      SCOPED_TRACE(testing::Message() << bytesPerSample * 8 << " bit, " << channels << " ch");
      SilenceGate gate;
      gate.configure(3, bpf);
      const auto pcm = withSilence(30, bpf, 5, 25);
      Runs out;
      gate.process(pcm.data(), pcm.size(), out);
      EXPECT_EQ(out.passed, expectedPassed(pcm, bpf, 3));
      EXPECT_EQ(out.suppressedBytes, size_t{17} * bpf);
      EXPECT_FALSE(gate.suppressing()) << "resumed on the first frame with sound";
    }
  }
}

TEST(SilenceGate, ANonZeroByteAnywhereInTheFrameIsSound) {
  // 24-bit stereo: only the top byte of the right channel is set. Upstream's 16/32-bit word
  // checks get 24 bit wrong; here every byte of the frame counts.
  SilenceGate gate;
  gate.configure(1, 6);
  std::vector<uint8_t> pcm(6 * 6, 0);
  pcm[4 * 6 + 5] = 0x80;  // frame 4: right channel, most significant byte
  Runs out;
  gate.process(pcm.data(), pcm.size(), out);
  // frame 0 passes (threshold 1), 1-3 suppressed, 4 passes, 5 passes (first of a new run).
  std::vector<std::pair<size_t, bool>> expected = {{6, true}, {18, false}, {12, true}};
  EXPECT_EQ(out.runs, expected);
}

TEST(SilenceGate, ResumesOnTheFirstNonSilentFrameExactly) {
  SilenceGate gate;
  gate.configure(2, 4);
  auto pcm = withSilence(12, 4, 0, 12);
  pcm[7 * 4] = 1;  // frame 7 has sound
  Runs out;
  gate.process(pcm.data(), pcm.size(), out);
  std::vector<std::pair<size_t, bool>> expected = {
      {8, true}, {20, false}, {12, true}, {8, false}};  // 0-1 | 2-6 | 7-9 | 10-11
  EXPECT_EQ(out.runs, expected);
}

TEST(SilenceGate, ChunkingDoesNotChangeTheResult) {
  // Frames split across calls (any chunk size) are held until complete, so the decision and the
  // bytes that pass are the same as for one big call.
  std::mt19937 rng(11);
  for (uint32_t bpf : {2u, 6u, 10u, 14u, 21u, 32u}) {
    std::vector<uint8_t> pcm;
    for (int block = 0; block < 60; ++block) {
      const size_t frames = 1 + rng() % 40;
      const bool silent = rng() % 2 == 0;
      for (size_t i = 0; i < frames * bpf; ++i) {
        pcm.push_back(silent ? 0 : static_cast<uint8_t>(rng() % 3));  // sound can contain zeros
      }
    }
    for (uint32_t threshold : {1u, 7u, 30u}) {
      SCOPED_TRACE(testing::Message() << "bpf " << bpf << " threshold " << threshold);
      SilenceGate gate;
      gate.configure(threshold, bpf);
      Runs out;
      size_t pos = 0;
      while (pos < pcm.size()) {
        const size_t n = std::min<size_t>(rng() % 50, pcm.size() - pos);
        gate.process(pcm.data() + pos, n, out);
        pos += n;
      }
      EXPECT_EQ(gate.heldBytes(), 0u);
      EXPECT_EQ(out.passed, expectedPassed(pcm, bpf, threshold));
      EXPECT_EQ(out.passed.size() + out.suppressedBytes, pcm.size());
      for (const auto& run : out.runs) EXPECT_EQ(run.first % bpf, 0u) << "runs end on frames";
    }
  }
}

TEST(SilenceGate, HeldPartialFrameIsNotHandedOut) {
  SilenceGate gate;
  gate.configure(1, 4);
  const uint8_t part[3] = {0, 0, 0};
  Runs out;
  gate.process(part, 3, out);
  EXPECT_TRUE(out.runs.empty());
  EXPECT_EQ(gate.heldBytes(), 3u);
  const uint8_t rest[1] = {9};
  gate.process(rest, 1, out);
  ASSERT_EQ(out.runs.size(), 1u);
  EXPECT_EQ(out.passed, (std::vector<uint8_t>{0, 0, 0, 9}));
}

TEST(SilenceGate, ConfigureStartsOver) {
  SilenceGate gate;
  gate.configure(1, 2);
  const std::vector<uint8_t> silent(10, 0);
  Runs out;
  gate.process(silent.data(), silent.size(), out);
  EXPECT_TRUE(gate.suppressing());
  gate.configure(1, 2);
  EXPECT_FALSE(gate.suppressing());
  Runs again;
  gate.process(silent.data(), 2, again);
  ASSERT_EQ(again.runs.size(), 1u);
  EXPECT_TRUE(again.runs[0].second) << "the run is counted from the start again";
}

}  // namespace
}  // namespace scream::driver
