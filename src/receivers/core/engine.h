// The receiver engine: where packets become sound. It is wiring between small stages:
//
//   network thread (a packet enters in onPacket):
//     ArrivalAnalyzer (duplicates dropped or marked for a skip, lost datagrams declared, where
//     it can tell right before the datagram that showed it) -> StreamTracker (format,
//     reassembly, float) -> SpscRing (the jitter buffer); ArrivalLatencyMeter stamps each
//     packet with how long its frames will wait until they play (arrival_latency_meter.h);
//     ClockEstimator (diagnostic only).
//     Edits at a ring position (skip a repeat, conceal a gap, or call one off) go to the audio
//     thread in Stream::edits, each with the declaration it belongs to.
//   audio thread (samples leave in render):
//     LatencyTarget (what to aim for) -> RateController (the clock is followed here: resampler
//     speed within +-2000 ppm) and LevelCorrector (insert / cut decisions) -> Playout (ring,
//     skips and gap concealment at their positions, period repetition and cuts, fades) ->
//     Resampler -> ChannelRemap -> sink
//
// The engine knows no sound API: it talks to a Sink (sink.h). A format change builds a new
// Stream on the network thread and hands it to the audio thread through an atomic pointer; the
// old one fades out and is freed back on the network thread. The audio thread never locks,
// allocates or logs.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "arrival_analyzer.h"
#include "clock_estimator.h"
#include "latency_target.h"
#include "level_corrector.h"
#include "protocol/packet.h"
#include "rate_controller.h"
#include "resampler.h"
#include "sink.h"
#include "spsc_ring.h"
#include "stats.h"
#include "stream_tracker.h"

namespace scream::receiver {

struct EngineConfig {
  ResamplerQuality quality = ResamplerQuality::kFastest;
  double latencyMs = 0;            // 0: adaptive, starting at 4 payloads; > 0: pinned
  double maxLatencyMs = 200;       // the adaptive target never goes above this
  double minAutoLatencyMs = 20;    // 4 payloads is under 1 ms at 192 kHz/32/8; bursts are ~10 ms
  int64_t streamGapNs = 200'000'000;  // no packets for this long: the sender stopped
  double fadeMs = 4;
  size_t maxBlockFrames = 8192;    // largest block render() handles in one piece
};

// A consistent-enough view for stats lines; every field is read from an atomic.
struct EngineStatus {
  bool hasStream = false;
  protocol::Format format;
  SinkFormat sinkFormat;
  double targetMs = 0;
  double latencyMs = 0;   // smoothed delay from arrival to the device, at the playback instant
  double bridgedLateMs = 0;  // how late datagrams come, which the ring bridges (LatenessMeter)
  double senderPpm = 0;   // sender clock against ours (ClockEstimator; a diagnostic)
  double speed = 1;       // input frames consumed per nominal frame (RateController)
  bool locked = false;
  bool silent = true;     // concealer silent: priming, underrun or stream stopped
};

class Engine final : public AudioSource {
 public:
  Engine(const EngineConfig& config, Sink& sink, Stats& stats);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Network thread: one valid packet from the locked source.
  void onPacket(const protocol::Packet& packet, int64_t arrivalNs);
  // Network thread, at least every few hundred ms: frees retired streams, retries the sink.
  void poll(int64_t nowNs);
  // Any thread but the audio thread: fade out, then stop the sink. Waits at most ~250 ms.
  void shutdown();

  void render(float* out, size_t frames, const PlaybackTiming& timing) noexcept override;

  EngineStatus status() const;
  // Network thread: when frame `index` of the newest stream's timeline (the sender's frames since
  // its first datagram, lost ones included) will play (CLOCK_MONOTONIC ns) by the engine's own
  // accounting, or NaN while silent. For tests of the latency measurement.
  double predictedPlayNs(uint64_t index) const;
  bool sinkStarted() const { return sinkStarted_; }
  const std::string& sinkError() const { return sinkError_; }

 private:
  struct Stream;
  // Edits at a ring position sent to the audio thread (see Stream::edits).
  enum class Edit : uint64_t { kSkip = 0, kGap = 2, kCancelGap = 3 };

  void deliver(const protocol::Packet& packet, int64_t arrivalNs, ArrivalAnalyzer::Verdict verdict,
               bool analyzed, double restored);
  // replacesLive: the stream so far was still coming (a new format without a pause).
  void startStream(const protocol::Format& format, int64_t nowNs, bool replacesLive);
  void analysisStartsOver(Stream& stream);
  bool ensureSink(const protocol::Format& format, int64_t nowNs);
  void requestReopen(const protocol::Format& format, int64_t nowNs);
  bool finishReopen(int64_t nowNs);
  void collectRetired();
  void measureArrivalLatency(Stream& stream, int64_t arrivalNs, size_t frames, double lateSec);
  bool declare(Stream& stream, double frames, Edit kind, uint64_t index, bool withEdit);
  void takeBackGaps(Stream& stream, double frames, int count);
  void skipRepeat(Stream& stream, size_t frames);
  double restoreRepeat(Stream& stream);
  void confirmRepeat(Stream& stream);
  void noteLateness(Stream& stream, int64_t arrivalNs, double lateSec, double declaredSec);
  void correctMeter(Stream& stream, double shiftFrames, int datagrams);
  void renderBlock(Stream& stream, float* out, size_t frames, const PlaybackTiming& timing) noexcept;
  double correctLevelAndRate(Stream& stream, double targetSec, double nowSec, double dt) noexcept;
  void account(Stream& stream) noexcept;
  void noteUnderrun(Stream& stream, int64_t nowNs) noexcept;
  void followMeterNoise(double latencySec, double dt) noexcept;
  void adoptPendingStream() noexcept;
  void mixFadingOut(float* out, size_t frames, unsigned channels) noexcept;
  void takeEdits(Stream& stream) noexcept;

  const EngineConfig config_;
  Sink& sink_;
  Stats& stats_;

  // network thread
  StreamTracker tracker_;
  ArrivalAnalyzer arrivals_;
  ClockEstimator estimator_;
  Stream* writing_ = nullptr;  // newest stream; the network thread fills its ring
  bool sinkStarted_ = false;
  int64_t nextSinkRetryNs_ = 0;
  std::string sinkError_;
  SinkFormat sinkFormat_;
  SinkFormat sinkWanted_;  // what the sink was last asked for
  bool warnedTargetRaised_ = false;
  bool reopening_ = false;  // the sink is fading out to be started in a new format
  int64_t reopenSinceNs_ = 0;

  // hand-over between the threads
  std::atomic<Stream*> pending_{nullptr};  // set by network, taken by audio
  SpscRing<Stream*> retired_{16};          // audio -> network, freed there
  std::atomic<bool> stopRequested_{false};
  std::atomic<bool> fadedOut_{false};

  // audio thread
  Stream* current_ = nullptr;
  Stream* fadingOut_ = nullptr;  // the stream a new format replaced, fading out under it
  RateController rate_;
  LevelCorrector level_;
  LatencyTarget target_;
  int64_t lastRenderNs_ = 0;
  double smoothedDelaySec_ = -1;
  double deviceDelaySec_ = -1;  // what the device holds, smoothed over about a second
  double queueSec_ = 0;         // ... and with the block it asks for, smoothed the same way
  double levelTargetSec_ = -1;  // the target for an excess: falls no faster than the rate follows
  double lastNearMissSec_ = -1e9;
  double meterMean_ = 0, meterVariance_ = 0;  // of the measured latency, over a few seconds

  // status (written by either thread, read by stats)
  std::atomic<uint64_t> statusFormat_{0}, statusSinkFormat_{0};
  std::atomic<double> statusTargetMs_{0}, statusLatencyMs_{0}, statusSpeed_{1}, statusPpm_{0}, statusLateMs_{0};
  std::atomic<bool> statusLocked_{false}, statusSilent_{true};
};

}  // namespace scream::receiver
