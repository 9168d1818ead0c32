#include "engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "channel_remap.h"
#include "concealer.h"

namespace scream::receiver {

namespace {

constexpr double kDelaySmoothingSeconds = 0.3;  // averages out the sender's ~10 ms bursts
constexpr double kNearMissMs = 2.0;  // ring this close to empty after a block: raise before it runs dry
constexpr double kNearMissHoldSeconds = 1.0;    // at most one near miss per second raises the target
constexpr double kSettleSeconds = 2.0;          // after a fade-in the ring is still settling
constexpr int64_t kSinkRetryNs = 2'000'000'000;
constexpr int64_t kFadeWaitNs = 250'000'000;  // longest wait for the audio thread to fade out
// Latency this far above target (at least the target again, at least 50 ms) is a backlog, not
// drift: the device stopped pulling (server restart, suspend) or a long stall delivered a pile
// at once. Draining it through the resampler at +2 % would take 50 s per second of backlog, so
// it is faded out and dropped instead: one short dip.
constexpr double kBacklogMarginSec = 0.05;
// The ring must hold about two sender bursts (~10 ms each) on top of what the device holds, whatever
// the target says: a target inside the device's own buffer would leave the ring empty.
constexpr double kMinRingSec = 0.019;  // with a 5 ms device: the 24 ms default target
constexpr double kDeviceSmoothingSeconds = 1.0;

double payloadMs(const protocol::Format& f) {
  return 1000.0 * (protocol::kPayloadBytes / f.bytesPerFrame()) / f.sampleRate;
}

uint64_t packFormat(const protocol::Format& f) {
  return uint64_t{f.sampleRate} | uint64_t{f.bitsPerSample} << 32 | uint64_t{f.channels} << 40 |
         uint64_t{f.channelMask} << 48;
}

protocol::Format unpackFormat(uint64_t v) {
  return {static_cast<uint32_t>(v), static_cast<uint8_t>(v >> 32), static_cast<uint8_t>(v >> 40),
          static_cast<uint16_t>(v >> 48)};
}

size_t ringSamples(const protocol::Format& f, const EngineConfig& c) {
  const double seconds = std::max(0.5, 2.0 * c.maxLatencyMs / 1000.0);
  return static_cast<size_t>(seconds * f.sampleRate) * f.channels;
}

}  // namespace

// One stream = one format. Built on the network thread, played on the audio thread.
struct Engine::Stream final : FrameProvider {
  Stream(const protocol::Format& f, const SinkFormat& sink, const EngineConfig& config)
      : format(f),
        channels(f.channels),
        sinkRate(sink.sampleRate),
        ring(ringSamples(f, config)),
        concealer(f.channels, static_cast<size_t>(config.fadeMs * f.sampleRate / 1000.0)),
        resampler(f.channels,
                  // Pass-through only works when the device runs at the stream's rate.
                  config.quality == ResamplerQuality::kOff && sink.sampleRate != f.sampleRate
                      ? ResamplerQuality::kFastest
                      : config.quality,
                  *this),
        remap(f.channels, f.channelMask, sink.channels, sink.channelMask),
        resampled(config.maxBlockFrames * f.channels) {}

  // Resampler input: the ring through the concealer. Always delivers maxFrames (silence when
  // dry), so the resampler never stalls and the device never sees hard zeros.
  size_t pull(float* out, size_t maxFrames) noexcept override {
    size_t got = 0;
    if (concealer.silent()) {
      const size_t available = ring.readAvailable() / channels;
      // Wait until the network thread has seen the silence (it then forgets its smoothed
      // latency), so the drift controller never acts on a latency measured before the refill.
      if (available > 0 && static_cast<double>(available) >= primeFrames &&
          std::isnan(arrivalLatencySec.load(std::memory_order_relaxed))) {
        // Audio that piled up while silent is stale: keep only the prime level, so latency
        // cannot build up at start or after an outage (upstream's socket backlog defect).
        const size_t keep = static_cast<size_t>(primeFrames);
        if (available > keep) consumed += ring.discard((available - keep) * channels) / channels;
        concealer.startFadeIn();
        resumed = true;
      }
    }
    if (!concealer.silent()) {
      got = ring.read(out, maxFrames * channels) / channels;
      consumed += got;
      if (got < maxFrames) ranDry = true;
    }
    concealer.process(out, got, maxFrames);
    return maxFrames;
  }

  const protocol::Format format;
  const size_t channels;
  const double sinkRate;  // the device's rate when this stream was made for it
  SpscRing<float> ring;
  Concealer concealer;
  Resampler resampler;
  const ChannelRemap remap;
  std::vector<float> resampled;

  // Latency measurement, shared: the audio thread publishes when ring frame 0 would play at the
  // current speed (NaN while silent); the network thread measures, per packet, how long its
  // frames will wait until they play, and publishes the smoothed result.
  std::atomic<double> originNs{std::nan("")};
  std::atomic<double> playbackRate{0};  // source frames per second of playback
  std::atomic<double> arrivalLatencySec{std::nan("")};

  // network thread only
  uint64_t written = 0;  // frames written into the ring
  double smoothedLatencySec = -1;

  // audio thread only
  uint64_t consumed = 0;  // frames taken out of the ring (played or discarded)
  double primeFrames = 0;
  bool ranDry = false;
  bool resumed = false;
  bool fadingForSwitch = false;
  int64_t dryAtNs = -1;
  double fadeInAtSec = 0;
  uint64_t concealedReported = 0;
};

Engine::Engine(const EngineConfig& config, Sink& sink, Stats& stats)
    : config_(config), sink_(sink), stats_(stats), tracker_(config.streamGapNs) {}

Engine::~Engine() {
  sink_.stop();
  collectRetired();
  Stream* pending = pending_.exchange(nullptr);
  if (pending != current_) delete pending;
  delete current_;
}

// ---------------------------------------------------------------- network thread

void Engine::onPacket(const protocol::Packet& packet, int64_t arrivalNs) {
  const StreamTracker::Frames frames = tracker_.push(packet, arrivalNs);
  switch (frames.change) {
    case StreamTracker::Change::kFirst:
    case StreamTracker::Change::kFormat:
      if (frames.change == StreamTracker::Change::kFormat) stats_.formatChanges.fetch_add(1);
      startStream(packet.format, arrivalNs);
      break;
    case StreamTracker::Change::kResumedAfterGap:
      estimator_.resync();  // a gap is a phase jump, not a clock change: keep the rate
      break;
    case StreamTracker::Change::kBitsOnly:
      stats_.formatChanges.fetch_add(1);
      break;
    case StreamTracker::Change::kNone:
      break;
  }
  if (writing_ == nullptr) startStream(tracker_.format(), arrivalNs);  // sink was not up yet
  stats_.packets.fetch_add(1, std::memory_order_relaxed);
  stats_.bytes.fetch_add(packet.pcmBytes, std::memory_order_relaxed);
  collectRetired();
  if (writing_ == nullptr) return;

  estimator_.onFrames(arrivalNs, frames.frames);
  if (estimator_.locked()) senderRatio_.store(estimator_.ratio(), std::memory_order_relaxed);
  statusLocked_.store(estimator_.locked(), std::memory_order_relaxed);
  statusPpm_.store(estimator_.ppm(), std::memory_order_relaxed);

  Stream& s = *writing_;
  const size_t channels = s.channels;
  const size_t room = s.ring.writeAvailable() / channels;
  const size_t n = std::min(room, frames.frames);
  s.ring.write(frames.samples, n * channels);
  if (n < frames.frames) stats_.ringOverflowFrames.fetch_add(frames.frames - n);
  measureArrivalLatency(s, arrivalNs, n);
  s.written += n;
}

// The latency that matters is how long a frame waits from its arrival until it plays. Sampling
// the ring fill at render time instead would depend on where the sender's bursts fall between
// renders (a bias of several ms); measuring each packet's own frames does not.
void Engine::measureArrivalLatency(Stream& s, int64_t arrivalNs, size_t frames) {
  const double origin = s.originNs.load(std::memory_order_acquire);
  const double rate = s.playbackRate.load(std::memory_order_relaxed);
  if (std::isnan(origin) || rate <= 0 || frames == 0) {
    s.smoothedLatencySec = -1;
    s.arrivalLatencySec.store(std::nan(""), std::memory_order_relaxed);
    return;
  }
  const double middle = static_cast<double>(s.written) + 0.5 * static_cast<double>(frames);
  const double latency = (origin + middle / rate * 1e9 - static_cast<double>(arrivalNs)) * 1e-9;
  // About 0.3 s of packets: averages the sender's bursts and network jitter.
  const double packetsPerSmoothing = kDelaySmoothingSeconds * rate / static_cast<double>(frames);
  const double alpha = 1.0 / std::max(1.0, packetsPerSmoothing);
  s.smoothedLatencySec = s.smoothedLatencySec < 0
                             ? latency
                             : s.smoothedLatencySec + alpha * (latency - s.smoothedLatencySec);
  s.arrivalLatencySec.store(s.smoothedLatencySec, std::memory_order_relaxed);
}

bool Engine::ensureSink(const protocol::Format& format, int64_t nowNs) {
  if (sinkStarted_) return true;
  if (nowNs < nextSinkRetryNs_) return false;
  try {
    sinkWanted_ = {format.sampleRate, format.channels, format.channelMask, format.bitsPerSample};
    sinkFormat_ = sink_.start(sinkWanted_, *this);
    sinkStarted_ = true;
    sinkError_.clear();
    statusSinkFormat_.store(packFormat({sinkFormat_.sampleRate, 32, sinkFormat_.channels,
                                        sinkFormat_.channelMask}));
    spdlog::info("output {} running at {} Hz, {} channels", sink_.describe(),
                 sinkFormat_.sampleRate, sinkFormat_.channels);
  } catch (const std::exception& e) {
    if (sinkError_ != e.what()) spdlog::error("output {}: {} (retrying every 2 s)", sink_.describe(), e.what());
    sinkError_ = e.what();
    nextSinkRetryNs_ = nowNs + kSinkRetryNs;
  }
  return sinkStarted_;
}

void Engine::startStream(const protocol::Format& format, int64_t nowNs) {
  if (reopening_ && !finishReopen(nowNs)) return;
  if (sinkStarted_ && sink_.reopensForNewFormat() &&
      (format.sampleRate != sinkWanted_.sampleRate || format.channels != sinkWanted_.channels ||
       format.channelMask != sinkWanted_.channelMask)) {
    requestReopen(format, nowNs);
    return;
  }
  if (!ensureSink(format, nowNs)) return;
  auto* stream = new Stream(format, sinkFormat_, config_);
  writing_ = stream;
  if (Stream* never = pending_.exchange(stream)) delete never;  // the audio thread never took it
  estimator_.reset(format.sampleRate);
  statusFormat_.store(packFormat(format), std::memory_order_relaxed);
  spdlog::info("stream: {} Hz, {} bit, {} channels, mask 0x{:x}", format.sampleRate,
               format.bitsPerSample, format.channels, format.channelMask);
}

void Engine::collectRetired() {
  Stream* old[16];
  const size_t n = retired_.read(old, 16);
  for (size_t i = 0; i < n; ++i) delete old[i];
}

void Engine::poll(int64_t nowNs) {
  collectRetired();
  const double targetMs = statusTargetMs_.load(std::memory_order_relaxed);
  if (config_.latencyMs > 0 && targetMs > config_.latencyMs + 0.5 && !warnedTargetRaised_) {
    warnedTargetRaised_ = true;
    spdlog::warn("latency {:.0f} ms is less than the output device itself holds; playing at "
                 "{:.0f} ms instead", config_.latencyMs, targetMs);
  }
  if (writing_ == nullptr && tracker_.started()) startStream(tracker_.format(), nowNs);
}

// Waits (at most 250 ms) for the audio thread to fade the playing stream out, then stops the
// sink, which joins its audio thread.
void Engine::shutdown() {
  stopRequested_.store(true);
  if (sinkStarted_) {
    for (int i = 0; i < 50 && !fadedOut_.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  sink_.stop();
}


// A new layout or rate: fade the playing stream out, then stop the device and start it again
// in the new format, so 5.1 after stereo plays on six speakers instead of being folded into two.
// Non-blocking: packets keep being read meanwhile (and dropped: the refill primes afresh).
void Engine::requestReopen(const protocol::Format& format, int64_t nowNs) {
  if (reopening_) return;
  spdlog::info("output {}: reopening for {} Hz, {} channels", sink_.describe(), format.sampleRate,
               format.channels);
  reopening_ = true;
  reopenSinceNs_ = nowNs;
  writing_ = nullptr;
  stopRequested_.store(true);  // the audio thread fades out and then renders silence
}

// Once faded out (or after 250 ms without the audio thread answering): stop the sink, which
// joins its audio thread; its state then belongs to this thread until the next start.
bool Engine::finishReopen(int64_t nowNs) {
  if (!fadedOut_.load() && nowNs - reopenSinceNs_ < kFadeWaitNs) return false;
  sink_.stop();
  collectRetired();
  Stream* pending = pending_.exchange(nullptr);
  if (pending != current_) delete pending;
  delete current_;
  current_ = nullptr;
  lastRenderNs_ = 0;
  deviceDelaySec_ = -1;
  smoothedDelaySec_ = -1;
  stopRequested_.store(false);
  fadedOut_.store(false);
  sinkStarted_ = false;
  nextSinkRetryNs_ = 0;
  reopening_ = false;
  return true;
}

// ---------------------------------------------------------------- audio thread

void Engine::adoptPendingStream() noexcept {
  if (pending_.load(std::memory_order_acquire) == nullptr) return;
  // Fade the old stream out first: a format change is never a click.
  if (current_ != nullptr && !current_->concealer.silent() && !current_->fadingForSwitch) {
    current_->concealer.fadeOutNow();
    current_->fadingForSwitch = true;
    return;
  }
  if (current_ != nullptr && retired_.writeAvailable() == 0) return;  // network thread will free some
  Stream* next = pending_.exchange(nullptr, std::memory_order_acq_rel);
  if (next == nullptr) return;
  if (current_ != nullptr) retired_.write(&current_, 1);
  current_ = next;

  const double payload = payloadMs(next->format);
  const double initial = config_.latencyMs > 0
                             ? config_.latencyMs
                             : std::max(4 * payload, config_.minAutoLatencyMs);
  LatencyTarget::Config target;
  target.initialFrames = initial;  // this engine counts the target in milliseconds
  target.minFrames = initial;
  target.maxFrames = std::max(config_.maxLatencyMs, initial);
  target.stepUpFrames = std::max(payload, 5.0);
  target.stepDownFrames = 1.0;
  target.pinned = config_.latencyMs > 0;
  target_.reset(target);
  driftConfig_ = DriftController::Config::forRate(next->format.sampleRate);
  driftLocked_ = false;
  drift_.setConfig(unlockedDriftConfig(driftConfig_));
  drift_.reset();
  feedForward_ = senderRatio_.load(std::memory_order_relaxed);
  smoothedDelaySec_ = -1;
}

void Engine::render(float* out, size_t frames, const PlaybackTiming& timing) noexcept {
  adoptPendingStream();
  const bool stopping = stopRequested_.load(std::memory_order_relaxed);
  // sinkFormat_ belongs to the network thread until a stream is handed over; the block's own
  // channel count is always safe to use.
  if (current_ == nullptr || (stopping && fadedOut_.load(std::memory_order_relaxed))) {
    std::fill(out, out + frames * timing.channels, 0.0f);
    return;
  }
  if (stopping) current_->concealer.fadeOutNow();
  size_t done = 0;
  while (done < frames) {
    const size_t n = std::min(frames - done, config_.maxBlockFrames);
    renderBlock(*current_, out + done * timing.channels, n, timing);
    done += n;
  }
  if (stopping) fadedOut_.store(true);
}

void Engine::renderBlock(Stream& s, float* out, size_t frames, const PlaybackTiming& t) noexcept {
  const double sourceRate = s.format.sampleRate;
  const double sinkRate = s.sinkRate;
  const double nowSec = static_cast<double>(t.nowNs) * 1e-9;
  double dt = lastRenderNs_ != 0 ? static_cast<double>(t.nowNs - lastRenderNs_) * 1e-9
                                 : static_cast<double>(frames) / sinkRate;
  dt = std::clamp(dt, 0.0, 0.5);
  lastRenderNs_ = t.nowNs;

  target_.tick(nowSec);
  const double deviceSec = t.deviceDelayFrames / sinkRate;
  deviceDelaySec_ = deviceDelaySec_ < 0
                        ? deviceSec
                        : deviceDelaySec_ + std::min(1.0, dt / kDeviceSmoothingSeconds) * (deviceSec - deviceDelaySec_);
  const double targetSec = std::max(target_.frames() / 1000.0, deviceDelaySec_ + kMinRingSec);
  const double resamplerFrames = s.resampler.delayFrames();
  // How much the ring must hold before fading in so that ring + device + resampler = target.
  s.primeFrames = std::max((targetSec - deviceSec) * sourceRate - resamplerFrames,
                           0.25 * targetSec * sourceRate);

  followClockEstimate();
  double correction = 0;
  const double latencySec = s.arrivalLatencySec.load(std::memory_order_relaxed);
  if (!s.concealer.silent() && !std::isnan(latencySec)) {
    smoothedDelaySec_ = latencySec;
    if (config_.quality == ResamplerQuality::kOff) {
      // --resampler off: no latency control at all (the benchmark's baseline)
    } else if (latencySec > targetSec + std::max(targetSec, kBacklogMarginSec)) {
      s.concealer.fadeOutNow();  // this block fades out; the refill keeps only the prime level
      stats_.backlogFlushes.fetch_add(1, std::memory_order_relaxed);
    } else {
      correction = drift_.update((latencySec - targetSec) * sourceRate, dt);
    }
  } else if (s.concealer.silent()) {
    smoothedDelaySec_ = -1;
  }
  const double speed = feedForward_ * (1.0 + correction);
  s.resampler.read(s.resampled.data(), frames, sinkRate / (sourceRate * speed));

  // Publish when ring frame 0 would play: the next frame in the ring plays after what the device
  // holds (including this block) and what the resampler still holds.
  if (s.concealer.silent()) {
    s.originNs.store(std::nan(""), std::memory_order_release);
  } else {
    const double playRate = sourceRate * speed;
    const double headNs = static_cast<double>(t.nowNs) +
                          (t.deviceDelayFrames + static_cast<double>(frames)) / sinkRate * 1e9 +
                          s.resampler.delayFrames() / playRate * 1e9;
    s.playbackRate.store(playRate, std::memory_order_relaxed);
    s.originNs.store(headNs - static_cast<double>(s.consumed) / playRate * 1e9,
                     std::memory_order_release);
  }

  if (s.ranDry) {
    s.ranDry = false;
    if (s.dryAtNs < 0) s.dryAtNs = t.nowNs;
  }
  if (s.resumed) {
    s.resumed = false;
    s.fadeInAtSec = nowSec;
    // A refill soon after running dry was an underrun; a long gap was the sender stopping.
    if (s.dryAtNs >= 0 && t.nowNs - s.dryAtNs < config_.streamGapNs) {
      stats_.underruns.fetch_add(1, std::memory_order_relaxed);
      target_.onUnderrun(nowSec);
    }
    s.dryAtNs = -1;
  }
  const double leftMs = 1000.0 * static_cast<double>(s.ring.readAvailable() / s.channels) / sourceRate;
  if (!s.concealer.silent() && leftMs < kNearMissMs && nowSec - s.fadeInAtSec > kSettleSeconds &&
      nowSec - lastNearMissSec_ > kNearMissHoldSeconds) {
    lastNearMissSec_ = nowSec;
    target_.onNearMiss(nowSec);
  }

  s.remap.apply(s.resampled.data(), out, frames);

  const uint64_t concealed = s.concealer.concealedFrames();
  stats_.concealedFrames.fetch_add(concealed - s.concealedReported, std::memory_order_relaxed);
  s.concealedReported = concealed;
  stats_.renderedFrames.fetch_add(frames, std::memory_order_relaxed);
  statusTargetMs_.store(targetSec * 1000.0, std::memory_order_relaxed);
  if (smoothedDelaySec_ >= 0) statusLatencyMs_.store(smoothedDelaySec_ * 1000.0, std::memory_order_relaxed);
  statusSpeed_.store(speed, std::memory_order_relaxed);
  statusSilent_.store(s.concealer.silent(), std::memory_order_relaxed);
}

double Engine::predictedPlayNs(uint64_t index) const {
  if (writing_ == nullptr) return std::nan("");
  const double rate = writing_->playbackRate.load();
  return writing_->originNs.load() + static_cast<double>(index) / rate * 1e9;
}

// Before the clock estimator locks, the sender's offset is unknown (up to +-1000 ppm itself), so
// the correction alone must be able to cover it and still steer: twice the steady clamp.
DriftController::Config Engine::unlockedDriftConfig(DriftController::Config config) {
  config.steadyClampPpm *= 2;
  return config;
}

// The speed is feed-forward (the sender rate the estimator measured) times (1 + correction).
// When the estimate moves, the correction's integral gives up the same amount, so the speed is
// continuous and the PI loop only ever holds what the estimate does not explain.
void Engine::followClockEstimate() noexcept {
  const double estimate = senderRatio_.load(std::memory_order_relaxed);
  if (estimate != feedForward_) {
    drift_.shiftIntegral(estimate / feedForward_ - 1.0);
    feedForward_ = estimate;
  }
  const bool locked = statusLocked_.load(std::memory_order_relaxed);
  if (locked != driftLocked_) {
    driftLocked_ = locked;
    drift_.setConfig(locked ? driftConfig_ : unlockedDriftConfig(driftConfig_));
  }
}

EngineStatus Engine::status() const {
  EngineStatus st;
  const uint64_t packed = statusFormat_.load(std::memory_order_relaxed);
  st.hasStream = packed != 0;
  st.format = unpackFormat(packed);
  const protocol::Format sink = unpackFormat(statusSinkFormat_.load(std::memory_order_relaxed));
  st.sinkFormat = {sink.sampleRate, sink.channels, sink.channelMask};
  st.targetMs = statusTargetMs_.load(std::memory_order_relaxed);
  st.latencyMs = statusLatencyMs_.load(std::memory_order_relaxed);
  st.senderPpm = statusPpm_.load(std::memory_order_relaxed);
  st.speed = statusSpeed_.load(std::memory_order_relaxed);
  st.locked = statusLocked_.load(std::memory_order_relaxed);
  st.silent = statusSilent_.load(std::memory_order_relaxed);
  return st;
}

}  // namespace scream::receiver
