// Micro benchmarks of the hot paths (Google Benchmark): header parse, packetize, jitter-ring push
// and pull, wire PCM -> float, and the drift resampler per output frame at 48 kHz stereo and
// 192 kHz 8 channels. scripts/bench writes their results as JSON (--benchmark_out).
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "protocol/header.h"
#include "protocol/packetizer.h"
#include "receivers/core/pcm_convert.h"
#include "receivers/core/resampler.h"
#include "receivers/core/spsc_ring.h"

namespace {

using namespace scream;

void BM_HeaderDecode(benchmark::State& state) {
  uint8_t header[protocol::kHeaderBytes];
  protocol::encodeHeader(protocol::Format{48000, 16, 2, 0x3}, header);
  protocol::Format format;
  for (auto _ : state) {
    benchmark::DoNotOptimize(protocol::decodeHeader(header, &format));
    benchmark::DoNotOptimize(format);
  }
}
BENCHMARK(BM_HeaderDecode);

// One second of 48 kHz stereo 16-bit PCM into datagrams; bytes/s is PCM throughput, items/s
// datagrams per second (DESIGN.md's target: over 1 M).
void BM_Packetize(benchmark::State& state) {
  const std::vector<uint8_t> pcm(48000 * 4, 0x55);
  protocol::Packetizer packetizer;
  size_t datagrams = 0;
  auto emit = [&](const uint8_t* d, size_t) { benchmark::DoNotOptimize(d), ++datagrams; };
  packetizer.setFormat(protocol::Format{48000, 16, 2, 0x3}, emit);
  for (auto _ : state) packetizer.write(pcm.data(), pcm.size(), emit);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * pcm.size()));
  state.SetItemsProcessed(static_cast<int64_t>(datagrams));
  benchmark::DoNotOptimize(datagrams);
}
BENCHMARK(BM_Packetize);

// A datagram's worth of float samples (288 stereo frames) in and out of the jitter ring.
void BM_RingPushPull(benchmark::State& state) {
  receiver::SpscRing<float> ring(48000 * 2);
  std::vector<float> block(576, 0.25f), out(576);
  for (auto _ : state) {
    ring.write(block.data(), block.size());
    benchmark::DoNotOptimize(ring.read(out.data(), out.size()));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * block.size()));
}
BENCHMARK(BM_RingPushPull);

void BM_PcmToFloat24(benchmark::State& state) {
  const std::vector<uint8_t> payload(protocol::kPayloadBytes, 0x33);
  std::vector<float> out(protocol::kPayloadBytes / 3);
  for (auto _ : state) {
    receiver::pcmToFloat(payload.data(), out.size(), 24, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_PcmToFloat24);

// An endless sine, as the ring would deliver it.
class SineProvider final : public receiver::FrameProvider {
 public:
  explicit SineProvider(unsigned channels) : channels_(channels) {}
  size_t pull(float* out, size_t maxFrames) noexcept override {
    for (size_t f = 0; f < maxFrames; ++f, phase_ += 0.13)
      for (unsigned c = 0; c < channels_; ++c) out[f * channels_ + c] = 0.5f * static_cast<float>(std::sin(phase_));
    return maxFrames;
  }

 private:
  unsigned channels_;
  double phase_ = 0;
};

// ns per output frame (the time per iteration / frames): args = channels, quality.
void BM_Resampler(benchmark::State& state) {
  const auto channels = static_cast<unsigned>(state.range(0));
  const auto quality = static_cast<receiver::ResamplerQuality>(state.range(1));
  constexpr size_t kFrames = 256;  // a typical device period
  SineProvider input(channels);
  receiver::Resampler resampler(channels, quality, input);
  std::vector<float> out(kFrames * channels);
  double ratio = 1.0005;  // a drift correction in progress
  for (auto _ : state) {
    benchmark::DoNotOptimize(resampler.read(out.data(), kFrames, ratio));
    ratio = 2.0 - ratio;  // alternate +-500 ppm so the converter never settles on one ratio
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kFrames));
  state.SetLabel(channels == 2 ? "48 kHz stereo" : "192 kHz 8 channels");
  state.counters["ns_per_frame"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kFrames),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
// 48 kHz stereo and 192 kHz 8 channels cost the same per frame; what differs is frames per
// second, so the 8-channel case at 192 kHz must stay far below 1e9 / 192000 ns = 5208 ns/frame.
BENCHMARK(BM_Resampler)
    ->ArgNames({"channels", "quality"})
    ->Args({2, static_cast<int>(scream::receiver::ResamplerQuality::kFastest)})
    ->Args({2, static_cast<int>(scream::receiver::ResamplerQuality::kMedium)})
    ->Args({8, static_cast<int>(scream::receiver::ResamplerQuality::kFastest)})
    ->Args({8, static_cast<int>(scream::receiver::ResamplerQuality::kMedium)});

}  // namespace

BENCHMARK_MAIN();
