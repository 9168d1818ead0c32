// The whole engine in simulated time: a sender whose clock runs off by N ppm sends the probe
// signal in 10 ms bursts, packets arrive with optional jitter, and a simulated sound card pulls
// 5 ms blocks on its own clock. Deterministic and fast, so the control loop (clock estimator,
// drift controller, latency target, concealment) is tested without wall-clock noise; the
// integration tests repeat the important cases in real time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <deque>
#include <random>
#include <vector>

#include "protocol/packet.h"
#include "protocol/packetizer.h"
#include "receivers/core/engine.h"
#include "support/audio_analysis.h"
#include <spdlog/spdlog.h>

namespace scream::receiver {
namespace {

using protocol::Format;

class SimulatedSink final : public Sink {
 public:
  explicit SimulatedSink(uint32_t forcedRate = 0) : forcedRate_(forcedRate) {}
  SinkFormat start(const SinkFormat& wanted, AudioSource& source) override {
    source_ = &source;
    format_ = wanted;
    ++starts_;
    if (forcedRate_) format_.sampleRate = forcedRate_;
    return format_;
  }
  void stop() override {}
  std::string describe() const override { return "simulated"; }
  AudioSource* source_ = nullptr;
  SinkFormat format_;
  int starts_ = 0;

 private:
  uint32_t forcedRate_;
};

struct SimConfig {
  Format format{48000, 16, 2, 0x3};
  double ppm = 0;
  double seconds = 30;
  double burstMs = 10;
  double jitterMs = 0;           // uniform extra delay per burst
  double stallAtSeconds = -1;    // all packets of this 300 ms window arrive at its end
  double silenceAtSeconds = -1;  // sender stops for silenceSeconds here
  double silenceSeconds = 2;
  double sinkPauseAtSeconds = -1;  // the sound card stops pulling for 2 s here (server restart)
  Format switchTo{};             // format change at half time when sampleRate != 0
  uint32_t sinkRate = 0;         // 0: the stream's rate
  double deviceDelayMs = 0;      // what the device holds beyond the block it is given
  double devicePpm = 0;          // the sound card's clock against the arrival clock
  double toneHz = 997;           // channel 0; 1000 Hz repeats every 48 frames: equal datagrams
  // Network impairments, per datagram (seeded, like benchmark/relay):
  double lossPct = 0;             // random loss
  double burstLossPct = 0;        // a burst of burstLossLength datagrams lost starts
  int burstLossLength = 5;
  double duplicatePct = 0;        // the datagram arrives twice
  double burstJitterPct = 0;      // a burst of 50 datagrams delayed 0..burstJitterMs starts
  double burstJitterMs = 40;
  double stallMs = 0;             // nothing arrives for stallMs every stallEverySeconds,
  double stallEverySeconds = 5;   //   then all of it at once
  // The receiver reads nothing before this time (its output takes this long to open), then
  // catches up with what queued in the socket, one datagram per 0.2 ms, kernel stamps kept.
  double readBacklogMs = 0;
  EngineConfig engine;
};

struct Marker {
  int64_t productionNs;
  int64_t arrivalNs = 0;
  uint64_t frame = 0;
  double predictedNs = 0;
  int format = 0;  // 0: the first format, 1: after the switch
  double playedNs = 0;
};

struct SimResult {
  std::vector<float> tone;      // channel 0 as played
  std::vector<float> marker;    // channel 1 as played
  std::vector<int64_t> playNs;  // when each output frame played
  std::vector<Marker> markers;
  double meanHoldMs = 0;
  // What the engine's latency figure leaves out, end to end: a marker frame in the middle of a
  // datagram that came on time (the floor) was produced this long before it arrived.
  double onTimeHoldMs = 0;
  uint32_t sinkRate = 0;
  uint64_t underruns = 0;
  uint64_t lostDatagrams = 0, duplicatesDropped = 0, insertedFrames = 0, insertedInPlaceFrames = 0, cutFrames = 0,
           concealedFrames = 0, backlogFlushes = 0;
  std::vector<double> speeds;  // the resampler speed, once per simulated 100 ms
  uint64_t trueLost = 0, trueDuplicates = 0;  // what the network did
  EngineStatus status;
  int sinkStarts = 0;
  unsigned sinkChannels = 0;  // at the end
};

void putSample(uint8_t* p, unsigned bytes, double v) {
  const int32_t full = static_cast<int32_t>(std::lround(std::clamp(v, -1.0, 0.999999) * 2147483647.0));
  const uint32_t u = static_cast<uint32_t>(full);
  for (unsigned b = 0; b < bytes; ++b) p[b] = static_cast<uint8_t>(u >> (8 * (4 - bytes + b)));
}

SimResult simulate(const SimConfig& c) {
  if (std::getenv("SIM_DEBUG")) spdlog::set_level(spdlog::level::debug);
  Stats stats;
  SimulatedSink sink(c.sinkRate);
  Engine engine(c.engine, sink, stats);
  SimResult r;
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> jitter(0, c.jitterMs * 1e6);
  std::mt19937 fates(7);
  std::uniform_real_distribution<double> percent(0, 100);
  int burstLossLeft = 0, burstJitterLeft = 0;
  // What the network does to one datagram sent at sendNs that would arrive at `at`: lost (-1),
  // or when it arrives, and whether twice.
  auto fate = [&](int64_t sendAt, int64_t at, bool* twice) -> int64_t {
    const double lossDraw = percent(fates), burstDraw = percent(fates), dupDraw = percent(fates);
    const double jitterDraw = percent(fates), delayDraw = percent(fates);
    if (burstLossLeft > 0 || burstDraw < c.burstLossPct) {
      burstLossLeft = burstLossLeft > 0 ? burstLossLeft - 1 : c.burstLossLength - 1;
      return -1;
    }
    if (lossDraw < c.lossPct) return -1;
    if (burstJitterLeft > 0 || jitterDraw < c.burstJitterPct) {
      burstJitterLeft = burstJitterLeft > 0 ? burstJitterLeft - 1 : 49;
      at += static_cast<int64_t>(delayDraw / 100 * c.burstJitterMs * 1e6);
    }
    if (c.stallMs > 0) {
      const int64_t every = static_cast<int64_t>(c.stallEverySeconds * 1e9);
      const int64_t into = sendAt % every;
      if (sendAt >= every && into < static_cast<int64_t>(c.stallMs * 1e6)) at = std::max(at, sendAt - into + static_cast<int64_t>(c.stallMs * 1e6));
    }
    *twice = dupDraw < c.duplicatePct;
    return at;
  };

  Format format = c.format;
  protocol::Packetizer packetizer;
  struct InFlight {
    int64_t arrivalNs;
    std::vector<uint8_t> bytes;
    int64_t readNs = 0;  // when the receiver reads it (its arrival, unless it queued)
  };
  std::deque<InFlight> network;
  const int64_t readFromNs = static_cast<int64_t>(c.readBacklogMs * 1e6);
  auto enqueue = [&](int64_t at, const uint8_t* d, size_t n) {
    int64_t readAt = std::max(at, readFromNs);
    if (!network.empty()) readAt = std::max(readAt, network.back().readNs + (at < readFromNs ? 200'000 : 0));
    network.push_back({at, std::vector<uint8_t>(d, d + n), readAt});
  };
  int64_t sendNs = 0, arrivalNs = 0;
  uint64_t produced = 0;
  double holdSum = 0, holdCount = 0;
  double minSentAfterEndMs = 1e9, halfDatagramMs = 0;
  int64_t sampleOrigin = 0;  // production time of frame 0 of the current format
  uint64_t emittedBytes = 0;  // PCM bytes of the current format sent so far
  auto emit = [&](const uint8_t* d, size_t n) {
    bool twice = false;
    int64_t at = fate(sendNs, arrivalNs, &twice);
    if (at < 0) {
      ++r.trueLost;
    } else {
      if (!network.empty()) at = std::max(at, network.back().arrivalNs);  // order kept
      enqueue(at, d, n);
      if (twice) {
        enqueue(at + 50'000, d, n);
        ++r.trueDuplicates;
      }
    }
    // What the sender holds back: from producing each frame to sending its datagram.
    const double rate = format.sampleRate * (1 + c.ppm * 1e-6);
    const uint64_t first = emittedBytes / format.bytesPerFrame();
    emittedBytes += n - protocol::kHeaderBytes;
    const uint64_t end = emittedBytes / format.bytesPerFrame();
    const double mid = 0.5 * static_cast<double>(first + end);
    holdSum += (static_cast<double>(sendNs - sampleOrigin) - mid * 1e9 / rate) * 1e-6 * static_cast<double>(end - first);
    holdCount += static_cast<double>(end - first);
    if (n == protocol::kHeaderBytes + protocol::kPayloadBytes) {
      const double sentAfterEnd = (static_cast<double>(sendNs - sampleOrigin) - static_cast<double>(end) * 1e9 / rate) * 1e-6;
      minSentAfterEndMs = std::min(minSentAfterEndMs, sentAfterEnd);
      halfDatagramMs = 0.5 * static_cast<double>(end - first) * 1e3 / rate;
    }
  };
  packetizer.setFormat(format, emit);

  const int64_t endNs = static_cast<int64_t>(c.seconds * 1e9);
  const int64_t burstNs = static_cast<int64_t>(c.burstMs * 1e6);
  int64_t nextBurst = burstNs, nextRender = 0, renderStartNs = 0;
  double deviceClockNs = 0;  // device time since the first block
  int64_t blockFrames = 0, blockNs = 0;
  std::vector<float> block;
  uint64_t formatFrames = 0;
  bool switched = false;
  uint64_t tracedLost = 0;

  while (nextBurst < endNs || !network.empty()) {
    // (Re)started: a new layout. The simulated card keeps its clock; the rate must not change
    // mid-run (tests that switch rate force one with sinkRate), or r.tone would mix two rates.
    if (sink.source_ != nullptr && (blockFrames == 0 || block.size() != static_cast<size_t>(blockFrames) * sink.format_.channels)) {
      if (blockFrames != 0) {
        EXPECT_EQ(sink.format_.sampleRate, r.sinkRate);
      }
      r.sinkRate = sink.format_.sampleRate;
      blockFrames = r.sinkRate / 200;
      blockNs = 5'000'000;
      if (nextRender == 0) nextRender = renderStartNs = network.empty() ? nextBurst : network.front().readNs;
      block.resize(static_cast<size_t>(blockFrames) * sink.format_.channels);
    }
    const int64_t nextArrival = network.empty() ? INT64_MAX : network.front().readNs;
    const int64_t renderAt = blockFrames ? nextRender : INT64_MAX;
    if (renderAt <= nextArrival && renderAt <= nextBurst) {
      if (renderAt >= endNs) break;
      const int64_t pauseNs = static_cast<int64_t>(c.sinkPauseAtSeconds * 1e9);
      if (c.sinkPauseAtSeconds >= 0 && renderAt >= pauseNs && renderAt < pauseNs + 2'000'000'000) {
        nextRender = pauseNs + 2'000'000'000;
        deviceClockNs = static_cast<double>(nextRender - renderStartNs);
        continue;
      }
      const int64_t extraNs = static_cast<int64_t>(c.deviceDelayMs * 1e6);
      PlaybackTiming timing{renderAt, static_cast<double>(blockFrames) + c.deviceDelayMs * r.sinkRate / 1000.0,
                            sink.format_.channels};
      engine.render(block.data(), static_cast<size_t>(blockFrames), timing);
      static const int64_t traceEveryNs = std::getenv("SIM_TRACE_MS") ? std::atoll(std::getenv("SIM_TRACE_MS")) * 1'000'000 : 100'000'000;
      if (renderAt % traceEveryNs < blockNs) {
        const EngineStatus st = engine.status();
        r.speeds.push_back(st.speed);
        if (std::getenv("SIM_TRACE")) {
          std::printf("t %.2f target %.2f latency %.2f speed %+.0f ppm silent %d underruns %llu lost %llu ins %llu cut %llu\n",
                      renderAt * 1e-9, st.targetMs, st.latencyMs, (st.speed - 1) * 1e6, st.silent,
                      (unsigned long long)stats.underruns.load(), (unsigned long long)stats.lostDatagrams.load(),
                      (unsigned long long)stats.insertedFrames.load(), (unsigned long long)stats.cutFrames.load());
        }
      }
      // A device whose clock runs fast plays its frames (and asks for the next block) sooner.
      const double frameNs = 1e9 / (r.sinkRate * (1 + c.devicePpm * 1e-6));
      for (int64_t f = 0; f < blockFrames; ++f) {
        r.tone.push_back(block[f * sink.format_.channels]);
        r.marker.push_back(sink.format_.channels > 1 ? block[f * sink.format_.channels + 1] : 0.0f);
        r.playNs.push_back(renderAt + static_cast<int64_t>((blockFrames + f) * frameNs) + extraNs);
      }
      deviceClockNs += static_cast<double>(blockFrames) * frameNs;
      nextRender = renderStartNs + static_cast<int64_t>(deviceClockNs);
    } else if (nextArrival <= nextBurst) {
      protocol::Packet p;
      const auto& d = network.front().bytes;
      if (protocol::parsePacket(d.data(), d.size(), &p) == protocol::PacketError::kOk) {
        engine.onPacket(p, network.front().arrivalNs);
      }
      network.pop_front();
      engine.poll(nextArrival);
      if (std::getenv("SIM_TRACE") && stats.lostDatagrams.load() != tracedLost) {
        tracedLost = stats.lostDatagrams.load();
        std::printf("t %.3f declared lost: %llu in all\n", nextArrival * 1e-9, (unsigned long long)tracedLost);
      }
      // The engine's own prediction of when each marker will play, taken as its packet arrives.
      for (size_t i = r.markers.size(); i-- > 0 && r.markers[i].predictedNs == 0;) {
        if (r.markers[i].arrivalNs <= nextArrival && r.markers[i].format == 0) {
          r.markers[i].predictedNs = engine.predictedPlayNs(r.markers[i].frame);
        }
      }
    } else {
      // Sender timer tick: everything produced since the last tick leaves now.
      sendNs = nextBurst;
      nextBurst += burstNs;
      const double t = static_cast<double>(sendNs) * 1e-9;
      if (c.silenceAtSeconds >= 0 && t >= c.silenceAtSeconds && t < c.silenceAtSeconds + c.silenceSeconds) {
        packetizer.flush(emit);
        produced = static_cast<uint64_t>(t * format.sampleRate * (1 + c.ppm * 1e-6));
        // The sender holds nothing back across the pause: count its hold afresh after it.
        emittedBytes = produced * format.bytesPerFrame();
        holdSum = holdCount = 0;
        continue;
      }
      if (c.switchTo.sampleRate != 0 && !switched && t >= c.seconds / 2) {
        switched = true;
        format = c.switchTo;
        packetizer.setFormat(format, emit);
        sampleOrigin = sendNs;
        emittedBytes = 0;
        produced = static_cast<uint64_t>(0);
        formatFrames = 0;
      }
      const double rate = format.sampleRate * (1 + c.ppm * 1e-6);
      const uint64_t due = static_cast<uint64_t>(static_cast<double>(sendNs - sampleOrigin) * 1e-9 * rate);
      arrivalNs = sendNs + 100'000 + static_cast<int64_t>(jitter(rng));
      if (c.stallAtSeconds >= 0 && t >= c.stallAtSeconds && t < c.stallAtSeconds + 0.3) {
        arrivalNs = static_cast<int64_t>((c.stallAtSeconds + 0.3) * 1e9);
      }
      // (Order is kept where each datagram enters the network: a delay added there must not
      // carry into the next burst's own arrival, or bursts of jitter would pile up.)
      std::vector<uint8_t> pcm;
      const unsigned bytes = format.bitsPerSample / 8;
      for (uint64_t f = produced; f < due; ++f) {
        std::vector<uint8_t> frame(format.bytesPerFrame(), 0);
        // The tone's phase runs on across a format switch (a sender's mixer does not restart it).
        const double toneSeconds = static_cast<double>(sampleOrigin % 1'000'000'000'000) * 1e-9 +
                                   static_cast<double>(f % (format.sampleRate * 1000ull)) / format.sampleRate;
        putSample(frame.data(), bytes, 0.5 * std::sin(2 * M_PI * c.toneHz * toneSeconds));
        const uint64_t phase = (f + format.sampleRate / 2) % format.sampleRate;
        if (format.channels > 1 && phase < format.sampleRate / 100) {
          putSample(frame.data() + bytes, bytes, 0.5 * std::sin(2 * M_PI * 3000.0 * phase / format.sampleRate));
          if (phase == 0) r.markers.push_back({sampleOrigin + static_cast<int64_t>(f * 1e9 / rate), arrivalNs, f, 0, switched ? 1 : 0, 0});
        }
        pcm.insert(pcm.end(), frame.begin(), frame.end());
      }
      produced = due;
      formatFrames = due;
      packetizer.write(pcm.data(), pcm.size(), emit);
    }
  }
  r.meanHoldMs = holdSum / holdCount;
  r.onTimeHoldMs = halfDatagramMs + minSentAfterEndMs + 0.1;  // (+ the network's 100 us)
  r.underruns = stats.underruns.load();
  r.lostDatagrams = stats.lostDatagrams.load();
  r.duplicatesDropped = stats.duplicatesDropped.load();
  r.insertedFrames = stats.insertedFrames.load();
  r.insertedInPlaceFrames = stats.insertedInPlaceFrames.load();
  r.cutFrames = stats.cutFrames.load();
  r.concealedFrames = stats.concealedFrames.load();
  r.backlogFlushes = stats.backlogFlushes.load();
  if (std::getenv("SIM_TRACE")) {
    std::printf("true lost %llu dups %llu; ", (unsigned long long)r.trueLost, (unsigned long long)r.trueDuplicates);
    std::printf("underruns %llu lost %llu dups %llu inserted %llu cut %llu concealed %llu flushes %llu\n",
                (unsigned long long)r.underruns, (unsigned long long)r.lostDatagrams,
                (unsigned long long)r.duplicatesDropped, (unsigned long long)r.insertedFrames,
                (unsigned long long)r.cutFrames, (unsigned long long)r.concealedFrames,
                (unsigned long long)r.backlogFlushes);
  }
  r.status = engine.status();
  r.sinkStarts = sink.starts_;
  r.sinkChannels = sink.format_.channels;
  (void)formatFrames;
  return r;
}

// Latency of each marker produced after `fromSeconds`: when it played minus when it was made.
std::vector<double> markerLatencyMs(SimResult& r, double fromSeconds) {
  const auto onsets = scream::testing::findMarkerOnsets(r.marker, r.sinkRate);
  std::vector<double> out;
  for (Marker& m : r.markers) {
    if (m.productionNs < fromSeconds * 1e9) continue;
    for (double onset : onsets) {
      const double ms = (r.playNs[static_cast<size_t>(onset)] - m.productionNs) * 1e-6;
      if (ms > 0 && ms < 500) {
        m.playedNs = static_cast<double>(r.playNs[static_cast<size_t>(onset)]);
        out.push_back(ms);
        break;
      }
    }
  }
  return out;
}

size_t glitches(const SimResult& r, double fromSeconds, double toSeconds) {
  const auto report = scream::testing::detectGlitches(r.tone, r.sinkRate, fromSeconds, toSeconds);
  if (std::getenv("SIM_TRACE")) {
    for (const auto& g : report.list) {
      std::printf("glitch at %.3f s, %.1f ms\n", g.startSeconds, g.durationMs);
      const size_t from = static_cast<size_t>((g.startSeconds - 0.01) * r.sinkRate);
      for (size_t i = from + 1; i < std::min(r.tone.size(), from + static_cast<size_t>(0.03 * r.sinkRate)); ++i) {
        if (std::fabs(r.tone[i] - r.tone[i - 1]) > 0.066f) std::printf("  step %.3f at %.5f s\n", r.tone[i] - r.tone[i - 1], i / double(r.sinkRate));
      }
    }
  }
  return report.events;
}

void expectSteadyLatency(double ppm) {
  SimConfig c;
  c.ppm = ppm;
  c.seconds = 60;
  SimResult r = simulate(c);
  EXPECT_EQ(r.underruns, 0u);
  EXPECT_EQ(glitches(r, 0.2, 59.9), 0u);
  const auto latency = markerLatencyMs(r, 10);
  ASSERT_GE(latency.size(), 45u);
  const double expected = r.status.targetMs + r.onTimeHoldMs;
  for (double ms : latency) EXPECT_NEAR(ms, expected, 2.0);
  EXPECT_NEAR(r.status.senderPpm, ppm, 50);
  // The engine's latency accounting (what the drift controller acts on) is exact: its prediction
  // of when a marker plays, made when the marker arrived, matches when it did play.
  size_t checked = 0;
  for (const Marker& m : r.markers) {
    if (m.playedNs == 0 || std::isnan(m.predictedNs)) continue;
    EXPECT_NEAR((m.predictedNs - m.playedNs) * 1e-6, 0.0, 0.2);
    ++checked;
  }
  EXPECT_GE(checked, 45u);
  std::printf("ppm %+.0f: target %.2f engine latency %.2f; latency %.2f..%.2f ms (expected %.2f), estimate %+.1f ppm\n", ppm, r.status.targetMs, r.status.latencyMs,
              *std::min_element(latency.begin(), latency.end()),
              *std::max_element(latency.begin(), latency.end()), expected, r.status.senderPpm);
}

TEST(EngineSimulation, SteadyLatencyWithSenderClockFast) { expectSteadyLatency(+1000); }
TEST(EngineSimulation, SteadyLatencyWithSenderClockSlow) { expectSteadyLatency(-1000); }
TEST(EngineSimulation, SteadyLatencyWithMatchedClocks) { expectSteadyLatency(0); }

TEST(EngineSimulation, ResamplesToTheSinkRateAtTheRightPitch) {
  SimConfig c;
  c.format = {44100, 16, 2, 0x3};
  c.sinkRate = 48000;
  c.seconds = 10;
  const SimResult r = simulate(c);
  EXPECT_EQ(glitches(r, 0.2, 9.9), 0u);
  // Count rising zero crossings of the tone over the last 5 s.
  size_t crossings = 0;
  const size_t from = r.tone.size() - 5 * 48000;
  for (size_t i = from + 1; i < r.tone.size(); ++i) crossings += r.tone[i - 1] < 0 && r.tone[i] >= 0;
  EXPECT_NEAR(crossings / 5.0, 997.0, 1.0);
}

TEST(EngineSimulation, BacklogFromAStallDoesNotBuildLatency) {
  SimConfig c;
  c.seconds = 40;
  c.stallAtSeconds = 10;
  SimResult r = simulate(c);
  const auto latency = markerLatencyMs(r, 25);
  ASSERT_GE(latency.size(), 10u);
  const double limit = r.status.targetMs + r.onTimeHoldMs + 2.0;
  for (double ms : latency) EXPECT_LE(ms, limit) << "latency must come back down after a stall";
  // ... and the stall is not lateness the ring must bridge from then on: the target is where a
  // clean stream has it. (Here the analysis re-anchors on a step over 40 ms, so the stall's
  // datagrams never read that late; LatenessMeter.ALongStallIsNotCounted covers the meter.)
  EXPECT_LE(r.status.bridgedLateMs, 10.0);
  EXPECT_LE(r.status.targetMs, 40.0);
}

TEST(EngineSimulation, BacklogFromASinkOutageIsDroppedNotDrained) {
  SimConfig c;
  c.seconds = 30;
  c.sinkPauseAtSeconds = 10;  // 2 s of audio piles up while the device does not pull
  SimResult r = simulate(c);
  // Within a second of the device coming back, latency is at its target again; draining 2 s of
  // backlog through the resampler at +2 % would take 100 s.
  const auto latency = markerLatencyMs(r, 13);
  ASSERT_GE(latency.size(), 15u);
  const double limit = r.status.targetMs + r.onTimeHoldMs + 2.0;
  for (double ms : latency) EXPECT_LE(ms, limit);
  EXPECT_EQ(glitches(r, 13, 29.9), 0u);
}

// The output took 400 ms to open (a JACK client connecting on a busy machine): the datagrams that
// queued in the socket meanwhile are read in a rush, and the device's first cycles fall inside
// that rush. Playback must start from the newest audio, not prime on the first part of the queue
// and then find the rest piled on top (measured: a flush at 427 ms against a 150 ms target).
TEST(EngineSimulation, AQueueReadAtStartIsNotPlayedAsLatency) {
  SimConfig c;
  c.seconds = 10;
  c.readBacklogMs = 400;
  SimResult r = simulate(c);
  EXPECT_EQ(r.backlogFlushes, 0u);
  EXPECT_EQ(r.underruns, 0u);
  const size_t first = static_cast<size_t>(std::max(0L, scream::testing::firstSound(r.tone)));
  EXPECT_EQ(glitches(r, first / static_cast<double>(r.sinkRate) + 0.05, 9.9), 0u);
  // From the start within a sender burst of the target (the queue's newest datagram may be that
  // old when playback starts), and on it once the rate loop has followed.
  const double expected = r.status.targetMs + r.onTimeHoldMs;
  const auto early = markerLatencyMs(r, 0.5);
  ASSERT_GE(early.size(), 8u);
  for (double ms : early) EXPECT_LE(ms, expected + c.burstMs);
  for (double ms : markerLatencyMs(r, 6)) EXPECT_NEAR(ms, expected, 2.0);
}

TEST(EngineSimulation, PinnedTargetInsideTheDeviceBufferIsRaised) {
  SimConfig c;
  c.seconds = 20;
  c.engine.latencyMs = 24;
  c.deviceDelayMs = 60;  // a sound server that holds more than the whole target
  SimResult r = simulate(c);
  EXPECT_EQ(r.underruns, 0u);
  EXPECT_EQ(glitches(r, 1, 19.9), 0u);
  // The device's queue (60 ms, the block it holds, the block asked for), how late datagrams
  // come (a 10 ms sender timer against 6 ms datagrams: up to 10 ms less a part of one), half a
  // datagram (the latency is measured to a datagram's middle) and the 5 ms margin.
  EXPECT_GE(r.status.bridgedLateMs, 10 - 6);
  EXPECT_LE(r.status.bridgedLateMs, 10);
  EXPECT_NEAR(r.status.targetMs, 60 + 5 + 5 + r.status.bridgedLateMs + 3 + 5, 1.0);
}

TEST(EngineSimulation, SenderSilenceIsNotAnUnderrunAndPlaybackResumes) {
  SimConfig c;
  c.seconds = 20;
  c.silenceAtSeconds = 8;
  const SimResult r = simulate(c);
  EXPECT_EQ(r.underruns, 0u) << "a sender that stops is not an underrun";
  EXPECT_EQ(glitches(r, 0.2, 7.9), 0u);
  EXPECT_EQ(glitches(r, 10.3, 19.9), 0u);
  // Sound again after the gap.
  const size_t at = static_cast<size_t>(12.0 * r.sinkRate);
  float peak = 0;
  for (size_t i = at; i < at + 4800; ++i) peak = std::max(peak, std::fabs(r.tone[i]));
  EXPECT_GT(peak, 0.4f);
}

TEST(EngineSimulation, FormatChangeFadesInsteadOfClicking) {
  SimConfig c;
  c.seconds = 10;
  c.switchTo = {96000, 24, 6, 0x3F};
  c.sinkRate = 48000;  // a card fixed at 48 kHz, so r.tone has one rate throughout
  const SimResult r = simulate(c);
  EXPECT_EQ(r.sinkStarts, 2) << "the device is reopened for the new layout";
  EXPECT_EQ(r.sinkChannels, 6u) << "5.1 plays on six speakers, not folded into two";
  // The largest step between neighbouring samples: a 997 Hz sine at 0.5 moves at most
  // 0.5 * 2 * pi * 997 / 48000 = 0.065 per sample; a click jumps much further.
  float maxStep = 0;
  size_t maxAt = 0;
  for (size_t i = 1; i < r.tone.size(); ++i) {
    if (std::fabs(r.tone[i] - r.tone[i - 1]) > maxStep) maxStep = std::fabs(r.tone[i] - r.tone[i - 1]), maxAt = i;
  }
  std::printf("max step %.3f at %.4f s\n", maxStep, maxAt / 48000.0);
  EXPECT_LT(maxStep, 0.08f);
  EXPECT_EQ(r.status.format.sampleRate, 96000u);
  EXPECT_EQ(glitches(r, 5.5, 9.9), 0u) << "plays on after the switch";
}

// A new rate alone (Windows' default format changed, 48 kHz/16 bit -> 44.1 kHz/24 bit): the
// device stays open and the resampler converts; the old stream plays its ring out while the new
// one fills and primes, then they crossfade. Before: the device was reopened and the new stream
// primed from nothing (benchmark: one 85 ms glitch); then, played down and faded out before the
// new one faded in: ~10 ms of silence (reported as 30 ms of glitch). Measured now: peaks 0.40,
// 0.24, 0.47 for 3 ms (the two streams' timelines are ~1 ms apart: the tone partly cancels in
// the crossfade), reported as 25 ms of glitch.
TEST(EngineSimulation, ARateChangeKeepsTheDeviceAndBarelyPauses) {
  SimConfig c;
  c.seconds = 10;
  c.switchTo = {44100, 24, 2, 0x3};
  const SimResult r = simulate(c);
  EXPECT_EQ(r.sinkStarts, 1) << "the device stays open";
  EXPECT_EQ(r.status.format.sampleRate, 44100u);
  const auto report = scream::testing::detectGlitches(r.tone, r.sinkRate, 4.0, 9.9);
  // Never silent across the switch: the lowest peak of any millisecond (0.5 is the tone's).
  double lowestPeak = 1;
  for (size_t ms = 4900; ms < 5200; ++ms) {
    double peak = 0;
    for (size_t i = ms * 48; i < (ms + 1) * 48; ++i) peak = std::max(peak, std::fabs(double(r.tone.at(i))));
    lowestPeak = std::min(lowestPeak, peak);
  }
  std::printf("rate switch: %zu glitches, %.1f ms; lowest peak of a millisecond %.2f\n", glitches(r, 4.0, 9.9),
              report.glitchMs, lowestPeak);
  EXPECT_GE(lowestPeak, 0.2) << "a crossfade, not a dip to silence";
  EXPECT_LE(report.glitchMs, 25.0);
  EXPECT_EQ(glitches(r, 5.5, 9.9), 0u) << "plays on after the switch";
}

TEST(EngineSimulation, JitterRaisesTheTargetInsteadOfGlitchingForever) {
  SimConfig c;
  c.seconds = 60;
  c.jitterMs = 20;
  const SimResult r = simulate(c);
  EXPECT_LE(glitches(r, 30, 59.9), 0u) << "after adapting, 20 ms of jitter plays clean";
  EXPECT_LE(r.status.targetMs, 60.0);
  std::printf("jitter 20 ms: %llu underruns, target %.1f ms\n",
              static_cast<unsigned long long>(r.underruns), r.status.targetMs);
}

}  // namespace
}  // namespace scream::receiver

namespace scream::receiver {
namespace {

// What an impairment leaves of the stream, measured the way the benchmark scores it, side by
// side with the same stream through the engine without control (--resampler off, the
// benchmark's baseline).
struct Robustness {
  SimResult r;
  double glitchMs = 0, baselineGlitchMs = 0;
  size_t markersOffTarget = 0;  // more than 2 ms off target after 10 s
  size_t markers = 0;
  double worstRatioPpm = 0;  // the speed's worst distance from sender / device, after 10 s
  // How far the engine's own prediction of when a marker plays (made as it arrived) was off when
  // it did play, after 10 s: what the rate controller and level corrector believe, checked.
  double worstPredictionMs = 0;
};

Robustness measureRobustness(const SimConfig& c) {
  Robustness m;
  m.r = simulate(c);
  SimResult& r = m.r;
  const auto latency = markerLatencyMs(r, 10);
  const double expected = r.status.targetMs + r.onTimeHoldMs;
  m.markers = latency.size();
  for (double ms : latency) m.markersOffTarget += std::fabs(ms - expected) > 2.0;
  if (std::getenv("SIM_TRACE")) {
    std::printf("marker latency - expected (%.2f):", expected);
    for (double ms : latency) std::printf(" %+.1f", ms - expected);
    std::printf("\n");
  }
  const double truthPpm = c.ppm - c.devicePpm;
  for (size_t i = 100; i < r.speeds.size(); ++i) {
    m.worstRatioPpm = std::max(m.worstRatioPpm, std::fabs((r.speeds[i] - 1) * 1e6 - truthPpm));
  }
  for (const Marker& mk : r.markers) {
    if (mk.playedNs == 0 || std::isnan(mk.predictedNs) || mk.predictedNs == 0 || mk.arrivalNs < 10'000'000'000) continue;
    m.worstPredictionMs = std::max(m.worstPredictionMs, std::fabs(mk.predictedNs - static_cast<double>(mk.playedNs)) * 1e-6);
  }
  m.glitchMs = scream::testing::detectGlitches(r.tone, r.sinkRate, 2.0, c.seconds - 0.1).glitchMs;
  SimConfig baseline = c;
  baseline.engine.quality = ResamplerQuality::kOff;
  const SimResult b = simulate(baseline);
  m.baselineGlitchMs = scream::testing::detectGlitches(b.tone, b.sinkRate, 2.0, c.seconds - 0.1).glitchMs;
  std::printf("glitches %.0f ms (no control: %.0f ms); markers off target %zu of %zu (target %.1f ms); "
              "ratio off by <= %.0f ppm; underruns %llu; lost %llu (true %llu); duplicates %llu (true %llu); "
              "inserted %.1f ms (in place %.1f), cut %.1f ms; engine's prediction off by <= %.1f ms\n",
              m.glitchMs, m.baselineGlitchMs, m.markersOffTarget, m.markers, r.status.targetMs,
              m.worstRatioPpm, (unsigned long long)r.underruns, (unsigned long long)r.lostDatagrams,
              (unsigned long long)r.trueLost, (unsigned long long)r.duplicatesDropped,
              (unsigned long long)r.trueDuplicates, r.insertedFrames / 48.0, r.insertedInPlaceFrames / 48.0, r.cutFrames / 48.0,
              m.worstPredictionMs);
  return m;
}

// The clean cases: on target, on pitch, no underrun, no glitch (issue 16's bounds).
void expectClean(const Robustness& m) {
  EXPECT_EQ(m.r.underruns, 0u);
  EXPECT_EQ(m.glitchMs, 0.0);
  EXPECT_GE(m.markers, 15u);
  EXPECT_EQ(m.markersOffTarget, 0u);
  EXPECT_LE(m.worstRatioPpm, 100.0);
}

// Impairments are counted at arrival only after 2 s of learning the stream's jitter.
uint64_t lostAfterWarmUp(const SimResult& r) { return r.trueLost * 28 / 30; }

TEST(EngineRobustness, DeviceClockFastAgainstTheArrivals) {
  SimConfig c;
  c.devicePpm = +300;
  expectClean(measureRobustness(c));
}

TEST(EngineRobustness, DeviceClockSlowAgainstTheArrivals) {
  SimConfig c;
  c.devicePpm = -300;
  expectClean(measureRobustness(c));
}

TEST(EngineRobustness, IdenticalDatagramsPlayUntouched) {
  SimConfig c;
  c.toneHz = 1000;  // 48 frames a period: every datagram is byte-identical to the one before
  const Robustness m = measureRobustness(c);
  expectClean(m);
  EXPECT_EQ(m.r.duplicatesDropped, 0u) << "equal bytes alone are no duplicate";
  EXPECT_EQ(m.r.lostDatagrams, 0u);
}

TEST(EngineRobustness, AToneOfIdenticalDatagramsWithDuplicates) {
  SimConfig c;
  c.toneHz = 1000;
  c.duplicatePct = 1;
  const Robustness m = measureRobustness(c);
  EXPECT_GE(m.r.duplicatesDropped, m.r.trueDuplicates * 85 / 100);
  EXPECT_LE(m.r.duplicatesDropped, m.r.trueDuplicates);
  EXPECT_EQ(m.r.underruns, 0u);
  EXPECT_EQ(m.glitchMs, 0.0);
  EXPECT_LE(m.markersOffTarget, 1u);
  // Issue 16: the ratio within 100 ppm; each duplicate found late still moves the pitch a while.
}

// A sender with a 10 ms timer (upstream's driver: one or two datagrams a burst): each loss shows
// when the burst after it ends, and is concealed before that burst's first datagram or after its
// last (the audio tells which); where the audio cannot tell, the slow path inserts it later.
// Measured: 49 of 49 found, 35 where they were lost, 120 ms of glitches against 530 without
// control (the simulation's network changed on 2026-11-30; 110 against 395 before). Issue 16 asks
// for more than holds yet: one underrun, the ratio off by up to ~500 ppm for a while.
TEST(EngineRobustness, RandomLossIsFoundAndConcealedInTime) {
  SimConfig c;
  c.lossPct = 1;
  const Robustness m = measureRobustness(c);
  EXPECT_GE(m.r.lostDatagrams, lostAfterWarmUp(m.r));
  EXPECT_LE(m.r.lostDatagrams, m.r.trueLost);
  // Concealed in time: what was inserted net of cuts is what was lost, to within a few periods.
  EXPECT_NEAR((m.r.insertedFrames - m.r.cutFrames) / 288.0, static_cast<double>(m.r.lostDatagrams), 6.0);
  EXPECT_GE(m.r.insertedInPlaceFrames / 288.0, 0.6 * static_cast<double>(m.r.lostDatagrams));
  EXPECT_LE(m.r.underruns, 1u);
  EXPECT_LE(m.glitchMs, 0.5 * m.baselineGlitchMs);
  // The engine's accounting stays on the sender's timeline through every loss (measured 1.1 ms;
  // the "meter under-reads after clustered losses" of an earlier note was this instrument
  // counting the lost frames twice).
  EXPECT_LE(m.worstPredictionMs, 2.0);
}

// A sender that paces every datagram (5 ms timer, 6 ms datagrams) on a quiet network: each loss
// shows at once, by the datagram after it, and is concealed right there, before it plays; all
// but the first, which the ring was not yet bridging (LatenessMeter: a clean network pays
// nothing for loss until it shows some).
TEST(EngineRobustness, LossFromAPacedSenderIsConcealedInPlace) {
  SimConfig c;
  c.burstMs = 5;
  c.lossPct = 1;
  const Robustness m = measureRobustness(c);
  EXPECT_GE(m.r.lostDatagrams, lostAfterWarmUp(m.r));
  EXPECT_LE(m.r.lostDatagrams, m.r.trueLost);
  // Measured: 47 of 49 in place (the band is learnt in 1 s, so losses after that are seen at
  // once), 15 glitch ms against 395 without control, all at the first loss.
  EXPECT_GE(m.r.insertedInPlaceFrames / 288.0, 0.9 * static_cast<double>(m.r.lostDatagrams));
  EXPECT_LE(m.r.underruns, 1u);
  EXPECT_LE(m.glitchMs, 0.2 * m.baselineGlitchMs);
  EXPECT_EQ(m.markersOffTarget, 0u);
  EXPECT_LE(m.worstPredictionMs, 2.0);
}

TEST(EngineRobustness, BurstsOfFiveLostDatagrams) {
  SimConfig c;
  c.burstLossPct = 0.2;
  const Robustness m = measureRobustness(c);
  EXPECT_GE(m.r.lostDatagrams, lostAfterWarmUp(m.r) - 5);
  EXPECT_LE(m.r.lostDatagrams, m.r.trueLost);
  EXPECT_LE(m.r.underruns, 1u);
  EXPECT_LE(m.glitchMs, 0.8 * m.baselineGlitchMs);
  EXPECT_LE(m.worstPredictionMs, 2.0);
}

TEST(EngineRobustness, DuplicatesAreFoundAndNotKept) {
  SimConfig c;
  c.duplicatePct = 1;
  const Robustness m = measureRobustness(c);
  EXPECT_GE(m.r.duplicatesDropped, m.r.trueDuplicates * 85 / 100);
  EXPECT_LE(m.r.duplicatesDropped, m.r.trueDuplicates);
  EXPECT_EQ(m.r.lostDatagrams, 0u);
  // Each repeat is known by the datagram after it and skipped where it lies, before it plays.
  expectClean(m);
  EXPECT_EQ(m.r.cutFrames, 0u);
  EXPECT_LE(m.worstPredictionMs, 2.0);
}

TEST(EngineRobustness, StallsLongerThanTheBuffer) {
  SimConfig c;
  c.stallMs = 80;
  const Robustness m = measureRobustness(c);
  EXPECT_LE(m.r.underruns, 2u) << "the first stalls; then the target covers them";
  EXPECT_EQ(m.r.lostDatagrams, 0u) << "a stall delivers everything late: nothing is lost";
  EXPECT_LE(m.glitchMs, 0.8 * m.baselineGlitchMs);
}

TEST(EngineRobustness, ASenderPauseOfThreeSeconds) {
  SimConfig c;
  c.silenceAtSeconds = 5;
  c.silenceSeconds = 3;
  const Robustness m = measureRobustness(c);
  EXPECT_EQ(m.r.underruns, 0u) << "a sender that stops is not an underrun";
  EXPECT_EQ(m.markersOffTarget, 0u);
  EXPECT_GE(m.markers, 15u);
  EXPECT_LE(m.glitchMs, m.baselineGlitchMs);
  // Issue 16: within 100 ppm; the restart leaves a level the pitch still works off for a while.
  EXPECT_LE(m.worstRatioPpm, 200.0);
}

// Bursts of jitter: 50 datagrams each 0-40 ms late, order kept (benchmark/relay does the same).
// (Until 2026-11-30 the simulation added each burst's delay on top of the last one's, so a burst
// piled up to ~300 ms: the 6825 ms of glitches measured then were that, not the engine.)
SimConfig burstyJitter() {
  SimConfig c;
  c.jitterMs = 2;
  c.burstJitterPct = 0.5;
  return c;
}

// ... is jitter, not loss: the tone goes on seamlessly across every plateau (9 false losses in
// 30 s before the slow path asked the audio).
TEST(EngineRobustness, BurstyJitterIsNotLoss) {
  const Robustness m = measureRobustness(burstyJitter());
  EXPECT_EQ(m.r.lostDatagrams, 0u);
  EXPECT_LE(m.r.underruns, 1u);
}

// ... and plays without a glitch and without churn: the latency is measured from when datagrams
// would have come on time, so a burst of late ones does not read as the level falling (before,
// 175 ms of periods inserted and 181 ms cut in 30 s, one 5 ms glitch; no control: 0).
TEST(EngineRobustness, BurstyJitterPlaysWithoutChurn) {
  const Robustness m = measureRobustness(burstyJitter());
  EXPECT_EQ(m.glitchMs, 0.0);
  EXPECT_LE(m.r.insertedFrames + m.r.cutFrames, 720u) << "at most 15 ms of periods in 30 s";
}

}  // namespace
}  // namespace scream::receiver
