#include "engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <utility>
#include <vector>

#include "arrival_latency_meter.h"
#include "channel_remap.h"
#include "playout.h"

namespace scream::receiver {

namespace {

constexpr double kDelaySmoothingSeconds = 0.3;  // averages out the sender's bursts and jitter
constexpr double kNearMissMs = 2.0;  // ring this close to empty after a block: raise before it runs dry
constexpr double kNearMissHoldSeconds = 1.0;    // at most one near miss per second raises the target
constexpr double kSettleSeconds = 2.0;          // after a fade-in the ring is still settling
constexpr int64_t kSinkRetryNs = 2'000'000'000;
constexpr int64_t kFadeWaitNs = 250'000'000;  // longest wait for the audio thread to fade out
// Latency this far above target (at least the target again, at least 50 ms) is a backlog, not
// something to cut a period at a time: the device stopped pulling (server restart, suspend) or
// a long stall delivered a pile at once. It is faded out and dropped instead: one short dip.
constexpr double kBacklogMarginSec = 0.05;
// Beyond the device's delay and the block it asks for, the ring must bridge how late datagrams
// come (LatenessMeter) and a margin: the latency is measured from on-time arrivals, so at the
// target the ring's low point (just before the latest datagram) is this far from empty, and the
// rate loop wanders by ~2 ms (3 ms gave near misses in the simulation under +-1000 ppm).
constexpr double kRingMarginSec = 0.005;
constexpr double kDefaultLatenessSec = 0.010;  // before the first datagram: a Scream sender's timer period
// Priming waits while the newest datagram in the ring is older than the lateness the ring
// bridges, a datagram and this slack (the network thread is still reading a queue; what it has
// yet to read would come on top), at most kMaxCatchUpWaitNs.
constexpr double kCaughtUpSlackSec = 0.005;
// Arrivals watched this long before priming: a few cycles of a sender's timer against its
// datagrams (10 ms and 6 ms repeat every 30 ms), so the floor they are measured from is found.
constexpr double kOnTimeLearnSeconds = 0.04;
constexpr int64_t kMaxCatchUpWaitNs = 250'000'000;
constexpr double kCutSettleSec = 0.5;  // a near miss this soon after a cut is the cut's doing
// An underrun raises the target by how long the ring stayed dry, but by no more than this at
// once (the dry time includes priming afresh after a long outage, which is not jitter).
constexpr double kMaxRaiseMs = 40;
constexpr double kDeviceSmoothingSeconds = 1.0;
// An excess over a target that fell (the sender's bursts shrank again, the server's buffer was
// lowered) is no risk: the rate controller drains it, in pitch, as fast as the target falls up
// to this rate. With its final loop (0.08 rad/s) a ramp of 0.15 ms/s leaves it ~0.7 ms behind,
// within the smallest allowance; faster, the latency stayed above the target beyond the
// allowance and the level corrector cut periods (PulseAudio soak at +1000 ppm: 2 of its 4
// glitches in 300 s were such cuts, where the target had fallen 4 ms in 20 s).
constexpr double kLevelTargetFallPerSec = 0.00015;
// The error the rate controller follows; beyond it the level corrector works in time. As small
// as the measurement's noise allows (3 standard deviations of it over a few seconds): every
// millisecond of level error left to the rate controller is learnt, for a while, as drift.
constexpr double kMinAllowanceSec = 0.0015;
constexpr double kMaxAllowanceSec = 0.004;
constexpr double kNoiseSeconds = 3.0;
// The smoothed latency needs this long after a fade-in to mean something (3 x its time constant).
constexpr double kMeterSettleSec = 3 * kDelaySmoothingSeconds;

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

Playout::Config playoutConfig(const protocol::Format& f, const EngineConfig& c) {
  Playout::Config p;
  p.channels = f.channels;
  p.sampleRate = f.sampleRate;
  p.fadeMs = c.fadeMs;
  return p;
}

}  // namespace

// One stream = one format. Built on the network thread, played on the audio thread.
struct Engine::Stream final : FrameProvider {
  Stream(const protocol::Format& f, const SinkFormat& sink, const EngineConfig& config)
      : format(f),
        channels(f.channels),
        sinkRate(sink.sampleRate),
        framesPerDatagram(protocol::kPayloadBytes / static_cast<double>(f.bytesPerFrame())),
        datagramSec(framesPerDatagram / f.sampleRate),
        ring(ringSamples(f, config)),
        playout(ring, playoutConfig(f, config)),
        resampler(f.channels,
                  // Pass-through only works when the device runs at the stream's rate.
                  config.quality == ResamplerQuality::kOff && sink.sampleRate != f.sampleRate
                      ? ResamplerQuality::kFastest
                      : config.quality,
                  *this),
        remap(f.channels, f.channelMask, sink.channels, sink.channelMask),
        resampled(config.maxBlockFrames * f.channels),
        mixed(config.maxBlockFrames * sink.channels) {}

  // Resampler input: the playout, primed first when it is silent. Always delivers maxFrames.
  size_t pull(float* out, size_t maxFrames) noexcept override {
    if (playout.silent()) {
      const size_t available = ring.readAvailable() / channels;
      // Wait until the network thread has seen the silence (it then forgets its smoothed
      // latency), so the controllers never act on a latency measured before the refill.
      // Nor while it is still reading a queue (the socket filled while the output opened):
      // priming on the queue's first part would leave the rest on top as latency (measured:
      // 427 ms against a 150 ms target, then a flush).
      // And until the arrival analysis knows when datagrams come on time (the prime level
      // counts from that: primed on the first datagrams alone, the start was ~2 ms high).
      // (A stream being replaced by a new format never primes again.)
      if (!fadingForSwitch && available > 0 && static_cast<double>(available) >= primeFrames &&
          std::isnan(arrivalLatencySec.load(std::memory_order_relaxed)) && caughtUp() &&
          onTimeKnown.load(std::memory_order_relaxed)) {
        // Audio that piled up while silent is stale: keep only the prime level, so latency
        // cannot build up at start or after an outage (upstream's socket backlog defect).
        const size_t keep = static_cast<size_t>(primeFrames);
        if (available > keep) playout.discard(available - keep);
        behindSinceNs = -1;
        playout.startFadeIn();
        resumed = true;
      }
    }
    return playout.pull(out, maxFrames);
  }

  // Audio thread: whether the newest datagram in the ring is recent, so the network thread is
  // not behind; after kMaxCatchUpWaitNs of waiting playback starts regardless.
  bool caughtUp() noexcept {
    const double lagSec = static_cast<double>(renderNowNs - newestArrivalNs.load(std::memory_order_relaxed)) * 1e-9;
    if (lagSec < latenessSec.load(std::memory_order_relaxed) + datagramSec + kCaughtUpSlackSec) {
      behindSinceNs = -1;
      return true;
    }
    if (behindSinceNs < 0) behindSinceNs = renderNowNs;
    return renderNowNs - behindSinceNs >= kMaxCatchUpWaitNs;
  }

  // The sender-timeline index of the next frame to play: ring frames taken out plus the frames
  // inserted for datagrams declared lost.
  double playedIndex() const { return static_cast<double>(playout.consumed()) + lostPaid; }

  // Audio thread: declared frames not yet paid (> 0: to insert, < 0: to cut), counting the skips
  // and concealments already waiting in the playout as paid.
  double owedFrames() const {
    return declaredSeen - lostPaid + static_cast<double>(playout.skipPending()) -
           static_cast<double>(playout.concealPending());
  }

  const protocol::Format format;
  const size_t channels;
  const double sinkRate;  // the device's rate when this stream was made for it
  const double framesPerDatagram;
  const double datagramSec;
  SpscRing<float> ring;
  Playout playout;
  Resampler resampler;
  const ChannelRemap remap;
  std::vector<float> resampled;
  std::vector<float> mixed;  // remapped to the device, when fading out under a new stream

  // Latency measurement, shared: the audio thread publishes when sender-timeline frame 0 would
  // play at the current speed (NaN while silent); the network thread measures, per packet, how
  // long its frames will wait until they play from when the packet would have come on time, and
  // publishes the smoothed result.
  std::atomic<double> originNs{std::nan("")};
  std::atomic<double> playbackRate{0};  // source frames per second of playback
  std::atomic<double> arrivalLatencySec{std::nan("")};
  // Frames of datagrams declared lost (network thread), those declared without an edit.
  std::atomic<double> declaredLost{0};
  std::atomic<double> latenessSec{kDefaultLatenessSec};  // LatenessMeter
  std::atomic<bool> lossSuspected{false};
  std::atomic<int64_t> newestArrivalNs{0};  // of the last datagram written into the ring
  std::atomic<double> newestLateSec{0};     // how late it came (ArrivalAnalyzer::lateSeconds)
  std::atomic<bool> onTimeKnown{false};     // the analysis has watched arrivals long enough for that
  // Edits at a ring position, network -> audio thread, in order: skip a repeat, conceal a gap,
  // or call a gap off. Each carries the change of the declared balance it brings, so the audio
  // thread never sees an edit without its declaration or the other way round. An edit that
  // finds playback already past its place is settled by the level corrector (a cut or insert).
  static uint64_t packEdit(Edit kind, uint64_t index, size_t frames) {
    return static_cast<uint64_t>(kind) << 62 | index << 16 | frames;
  }
  SpscRing<uint64_t> edits{32};

  // network thread only
  uint64_t written = 0;  // frames written into the ring
  double lostFrames = 0;      // the sender's timeline: all declarations
  double declaredPlain = 0;   // = declaredLost: those sent without an edit
  // The gaps declared at once still watched by the analyzer, oldest first: where the datagram
  // after each went, its frames, and whether its declaration went with an edit.
  struct WatchedGap {
    uint64_t index = 0;
    double frames = 0;
    bool byEdit = false;
  };
  std::array<WatchedGap, ArrivalAnalyzer::kMaxChainedGaps> watchedGaps{};
  size_t watchedGapCount = 0;
  // Where the last datagrams on the analyzer's line went in the ring (a gap seen when a burst
  // ends goes before the burst's first datagram).
  std::array<uint64_t, ArrivalAnalyzer::kMaxBurstDatagrams + 2> recentStarts{};
  uint64_t placed = 0;
  uint64_t startOf(int datagramsBack) const {
    const auto back = static_cast<uint64_t>(datagramsBack);
    if (back == 0 || back > placed || back > recentStarts.size()) return written;
    return recentStarts[(placed - back) % recentStarts.size()];
  }
  bool followsAnother = false;  // replaces a stream that was playing, until watched long enough
  uint64_t provisionalIndex = 0;  // where the last repeat went into the ring
  size_t provisionalFrames = 0;  // the last repeat, until the next datagram says whether it is one
  ArrivalLatencyMeter meter{kDelaySmoothingSeconds};
  LatenessMeter lateness{datagramSec};

  // audio thread only
  double lostPaid = 0;  // frames inserted for declared losses (less those skipped as repeats)
  double declaredSeen = 0;     // all declarations seen, as of the start of this block
  double declaredByEdits = 0;  // of those, the ones that came with edits
  uint64_t skippedSeen = 0, concealedAtSeen = 0;
  double primeFrames = 0;
  int64_t renderNowNs = 0;     // the block being rendered
  int64_t behindSinceNs = -1;  // priming waits for the network thread since then
  bool resumed = false;
  bool fadingForSwitch = false;  // replaced by a new format: never primes again
  bool fadingOut = false;        // ... and fading out under the new one
  int64_t dryAtNs = -1;
  double fadeInAtSec = 0;
  LevelCorrector::Reason asked = LevelCorrector::Reason::kNone;  // what the playout is doing
  uint64_t insertedSeen = 0, cutSeen = 0, drySeen = 0;
  bool dryForLoss = false;  // the ring ran dry while a loss was being judged
  double dryCredit = 0;     // frames concealed then, to count against the loss once declared
  double lateAtDrySec = 0;  // the lateness the ring bridged when it ran dry so
  bool startCorrected = false;  // the level the priming left has been corrected
  double lastCutSec = -1e9;
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
  delete fadingOut_;
}

// ---------------------------------------------------------------- network thread

void Engine::onPacket(const protocol::Packet& packet, int64_t arrivalNs) {
  // Duplicates are dropped before the tracker sees them (it would reassemble their bytes).
  const bool sameStream = tracker_.started() && packet.format == tracker_.format() &&
                          arrivalNs - tracker_.lastArrivalNs() <= config_.streamGapNs;
  ArrivalAnalyzer::Verdict verdict;
  const bool analyzed = sameStream && writing_ != nullptr;
  double restored = 0;
  if (analyzed) {
    verdict = arrivals_.onDatagram(arrivalNs, packet.pcm, packet.pcmBytes);
    if (verdict.previousWasReal) restored = restoreRepeat(*writing_);
    if (verdict.previousWasRepeat) confirmRepeat(*writing_);
    if (verdict.previousWasRepeat || verdict.duplicate) {
      stats_.duplicatesDropped.store(arrivals_.duplicates(), std::memory_order_relaxed);
    }
    if (verdict.duplicate) {
      spdlog::debug("arrival: duplicate dropped");
      if (restored > 0) estimator_.onFrames(arrivalNs, std::llround(restored));
      return;
    }
  }
  deliver(packet, arrivalNs, verdict, analyzed, restored);
}

// The latest `count` gaps declared at once were only late datagrams: each is called off where it
// lies (its concealment may not have played yet), `frames` (< 0) in all.
void Engine::takeBackGaps(Stream& s, double frames, int count) {
  for (; count > 0 && s.watchedGapCount > 0; --count) {
    const Stream::WatchedGap& g = s.watchedGaps[--s.watchedGapCount];
    declare(s, -g.frames, Edit::kCancelGap, g.index, g.byEdit);
    frames += g.frames;
  }
  if (frames != 0) declare(s, frames, Edit::kGap, 0, false);  // (not tracked: settled as owed)
}

// A change of the declared balance (frames lost: > 0; a repeat or a loss taken back: < 0), with
// its edit when there is one. The baseline (--resampler off) corrects nothing: no edits there.
// Returns whether it went with the edit (else the level corrector settles it wherever playback is).
bool Engine::declare(Stream& s, double frames, Edit kind, uint64_t index, bool withEdit) {
  s.lostFrames += frames;
  const double size = std::fabs(frames);
  if (withEdit && config_.quality != ResamplerQuality::kOff && size < 65536 && size == std::floor(size)) {
    const uint64_t edit = Stream::packEdit(kind, index, static_cast<size_t>(size));
    if (s.edits.write(&edit, 1) == 1) return true;
  }
  s.declaredPlain += frames;
  s.declaredLost.store(s.declaredPlain, std::memory_order_relaxed);
  return false;
}

// Into the tracker (format, reassembly) and the ring, stamped by the latency meter.
void Engine::deliver(const protocol::Packet& packet, int64_t arrivalNs, ArrivalAnalyzer::Verdict verdict,
                     bool analyzed, double restored) {
  // (Whether the stream so far was still coming: a new format then replaces it without a pause.)
  const bool live = tracker_.started() && arrivalNs - tracker_.lastArrivalNs() <= config_.streamGapNs;
  const StreamTracker::Frames frames = tracker_.push(packet, arrivalNs);
  switch (frames.change) {
    case StreamTracker::Change::kFirst:
    case StreamTracker::Change::kFormat:
      if (frames.change == StreamTracker::Change::kFormat) stats_.formatChanges.fetch_add(1);
      startStream(packet.format, arrivalNs, live);
      break;
    case StreamTracker::Change::kResumedAfterGap:
      estimator_.resync();  // a gap is a phase jump, not a clock change: keep the rate
      arrivals_.resync();
      if (writing_ != nullptr) analysisStartsOver(*writing_);
      break;
    case StreamTracker::Change::kBitsOnly:
      stats_.formatChanges.fetch_add(1);
      arrivals_.reset(packet.format);
      if (writing_ != nullptr) analysisStartsOver(*writing_);
      break;
    case StreamTracker::Change::kNone:
      break;
  }
  if (writing_ == nullptr) startStream(tracker_.format(), arrivalNs, false);  // sink was not up yet
  stats_.packets.fetch_add(1, std::memory_order_relaxed);
  stats_.bytes.fetch_add(packet.pcmBytes, std::memory_order_relaxed);
  collectRetired();
  if (writing_ == nullptr) return;
  if (!analyzed) verdict = arrivals_.onDatagram(arrivalNs, packet.pcm, packet.pcmBytes);  // anchors

  Stream& s = *writing_;
  const double lost = static_cast<double>(verdict.shiftBytes) / packet.format.bytesPerFrame();
  if (lost != 0) {
    spdlog::debug("arrival: {} {} frames ({} datagrams measured on the old line){}",
                  lost > 0 ? "lost" : "taken back,", std::abs(lost), verdict.datagramsSinceStep,
                  verdict.gapBeforeThis ? ", right before this one" : "");
    if (lost > 0 && verdict.gapBeforeThis) {
      if (!verdict.chained) s.watchedGapCount = 0;
      const uint64_t at = s.startOf(verdict.gapDatagramsBack);
      const bool watched = s.watchedGapCount < s.watchedGaps.size();  // (the analyzer keeps as many)
      const bool byEdit = declare(s, lost, Edit::kGap, at, watched);
      if (watched) s.watchedGaps[s.watchedGapCount++] = {at, lost, byEdit};
    } else if (verdict.gapTakenBack) {
      takeBackGaps(s, lost, verdict.gapsTakenBack);
    } else {
      declare(s, lost, Edit::kGap, 0, false);
      // (A loss needs no correction of the latency figure: the frames placed a loss too early
      // came as much late. A duplicate found late: the frames after it were placed a datagram
      // late and came a datagram early on the line, which cancels too, but for how far the floor
      // fell meanwhile.)
      if (lost < 0) {
        correctMeter(s, -verdict.floorDropSeconds * packet.format.sampleRate, verdict.datagramsSinceStep);
      }
    }
    stats_.lostDatagrams.store(arrivals_.lostDatagrams(), std::memory_order_relaxed);
    stats_.duplicatesDropped.store(arrivals_.duplicates(), std::memory_order_relaxed);
  }
  // The estimator sees the frames the sender sent, lost ones included, so loss is not a clock;
  // a provisional datagram only once it proved real (the next one).
  const double sent = (verdict.provisional ? 0.0 : static_cast<double>(frames.frames) + lost) + restored;
  estimator_.onFrames(arrivalNs, std::llround(sent));
  if (estimator_.locked()) arrivals_.setRateRatio(estimator_.ratio());
  statusLocked_.store(estimator_.locked(), std::memory_order_relaxed);
  statusPpm_.store(estimator_.ppm(), std::memory_order_relaxed);
  // (Release: a declaration made with this datagram is seen before the suspicion ends.)
  s.lossSuspected.store(arrivals_.lossSuspected(), std::memory_order_release);

  const size_t channels = s.channels;
  const size_t room = s.ring.writeAvailable() / channels;
  const size_t n = std::min(room, frames.frames);
  s.ring.write(frames.samples, n * channels);
  if (n < frames.frames) stats_.ringOverflowFrames.fetch_add(frames.frames - n);
  // A repeat is measured as the one it repeats: at that one's place in the timeline, and as late
  // as it came against that one's place on the line (a datagram later than against its own).
  const double late = arrivals_.lateSeconds();
  noteLateness(s, arrivalNs, late, lost > 0 ? lost / packet.format.sampleRate : 0);
  double lateSec = late;
  if (verdict.provisional) {
    skipRepeat(s, n);
    lateSec += static_cast<double>(n) / packet.format.sampleRate;
  }
  if (n > 0) {
    s.newestArrivalNs.store(arrivalNs, std::memory_order_relaxed);
    s.newestLateSec.store(late, std::memory_order_relaxed);  // (against its own place: priming)
  }
  // A stream that replaces another (a new format) starts as soon as it can: the old one has
  // played its ring down, and ~2 ms of start accuracy is worth less than 40 ms of silence.
  const bool watched = arrivals_.watchedSeconds() >= kOnTimeLearnSeconds;
  if (watched) s.followsAnother = false;
  s.onTimeKnown.store(watched || s.followsAnother, std::memory_order_relaxed);
  measureArrivalLatency(s, arrivalNs, n, lateSec);
  if (!verdict.provisional) s.recentStarts[s.placed++ % s.recentStarts.size()] = s.written;
  s.written += n;
}

// The arrival analysis started over (the sender resumed after a pause, or a new bit depth): a
// repeat waiting for its verdict was real (none will come), lateness held aside while a loss was
// judged will never be judged, and a stream that replaced another learns afresh like any other.
void Engine::analysisStartsOver(Stream& s) {
  restoreRepeat(s);
  s.lateness.forgetHeld();
  s.followsAnother = false;
}

// A datagram equal to the one before it, in a signal that does not repeat itself: most likely a
// repeat, which the timeline does not count (it is measured as the one it repeats). Whether it
// is skipped waits for the next datagram: a skip carried out before that, and then called off,
// cost a whole datagram in a ring kept near its floor (simulation, a 1 kHz tone whose rounding
// made one datagram look like a repeat: an underrun).
void Engine::skipRepeat(Stream& s, size_t frames) {
  spdlog::debug("arrival: repeated datagram, {} frames (skipped if the next one differs)", frames);
  s.provisionalFrames = frames;
  s.provisionalIndex = s.written;
  s.lostFrames -= static_cast<double>(frames);
}

// The next datagram differed: it was a repeat. The audio thread skips it when it gets there
// (seamless: it equals the datagram before it); if playback is past it already, the level
// corrector cuts as much.
void Engine::confirmRepeat(Stream& s) {
  const auto frames = static_cast<double>(std::exchange(s.provisionalFrames, 0));
  if (frames == 0) return;
  s.lostFrames += frames;  // (declared now, with the edit)
  declare(s, -frames, Edit::kSkip, s.provisionalIndex, true);
}

// ... but the datagram after it was the same again: the signal turned periodic (digital silence
// after sound) and the one taken for a repeat was real: it plays, and counts. (Its latency was
// measured a place early in the timeline and a datagram late on the line: right as it was.)
double Engine::restoreRepeat(Stream& s) {
  const double frames = static_cast<double>(std::exchange(s.provisionalFrames, 0));
  if (frames == 0) return 0;
  spdlog::debug("arrival: the repeated datagram was real, {} frames", frames);
  s.lostFrames += frames;
  return frames;
}

// How late datagrams come, which the ring must bridge (LatenessMeter). declaredSec: a loss
// declared with this datagram.
void Engine::noteLateness(Stream& s, int64_t arrivalNs, double lateSec, double declaredSec) {
  const double figure = s.lateness.onDatagram(arrivalNs, lateSec, arrivals_.lossSuspected(), declaredSec);
  if (figure != s.latenessSec.load(std::memory_order_relaxed)) s.latenessSec.store(figure, std::memory_order_relaxed);
}

// The datagrams measured since a step began were placed on the old timeline, `shift` frames off.
void Engine::correctMeter(Stream& s, double shiftFrames, int datagrams) {
  const double framesPerDatagram = protocol::kPayloadBytes / static_cast<double>(s.format.bytesPerFrame());
  const double rate = s.playbackRate.load(std::memory_order_relaxed);
  const double latency = s.meter.shift(shiftFrames, datagrams, framesPerDatagram, rate);
  if (!std::isnan(latency)) s.arrivalLatencySec.store(latency, std::memory_order_relaxed);
}

// How long this packet's frames wait until they play (ArrivalLatencyMeter), published for the
// audio thread's controllers.
void Engine::measureArrivalLatency(Stream& s, int64_t arrivalNs, size_t frames, double lateSec) {
  const double origin = s.originNs.load(std::memory_order_acquire);
  const double rate = s.playbackRate.load(std::memory_order_relaxed);
  const double first = static_cast<double>(s.written) + s.lostFrames;
  s.arrivalLatencySec.store(s.meter.measure(arrivalNs, first, frames, origin, rate, lateSec),
                            std::memory_order_relaxed);
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

void Engine::startStream(const protocol::Format& format, int64_t nowNs, bool replacesLive) {
  if (reopening_ && !finishReopen(nowNs)) return;
  // A new layout reopens the device (5.1 after stereo plays on six speakers); a new rate alone
  // keeps it, and the resampler converts: reopening cost ~85 ms of silence at a switch
  // (benchmark format-switch, 48 kHz/16 bit -> 44.1 kHz/24 bit), and a sound server resamples
  // to its own rate anyway. (So the device stays at the rate it was first opened with until the
  // layout changes or the receiver restarts: a 96 kHz stream after a 48 kHz one plays at 48.)
  if (sinkStarted_ && sink_.reopensForNewFormat() &&
      (format.channels != sinkWanted_.channels || format.channelMask != sinkWanted_.channelMask)) {
    requestReopen(format, nowNs);
    return;
  }
  if (!ensureSink(format, nowNs)) return;
  auto* stream = new Stream(format, sinkFormat_, config_);
  if (writing_ != nullptr && replacesLive) {
    // Same sender, same network, no pause: how late datagrams come carries over (learnt afresh,
    // the new stream primed on its first few datagrams' lateness and ran dry 40 ms later).
    stream->followsAnother = true;
    stream->lateness.carryOver(writing_->lateness);
    stream->latenessSec.store(writing_->latenessSec.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  writing_ = stream;
  if (Stream* never = pending_.exchange(stream)) delete never;  // the audio thread never took it
  estimator_.reset(format.sampleRate);
  arrivals_.reset(format);
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
  if (writing_ == nullptr && tracker_.started()) startStream(tracker_.format(), nowNs, false);
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


// A new layout: fade the playing stream out, then stop the device and start it again in the new
// format, so 5.1 after stereo plays on six speakers instead of being folded into two. (A new
// rate alone keeps the device: see startStream.)
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
  delete fadingOut_;
  fadingOut_ = nullptr;
  lastRenderNs_ = 0;
  deviceDelaySec_ = -1;
  queueSec_ = 0;
  levelTargetSec_ = -1;
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
  if (current_ != nullptr && retired_.writeAvailable() == 0) return;  // network thread will free some
  // A new format: the old stream plays out all its ring holds first, while the new one fills and
  // primes (at its prime level, at once: it knows how late datagrams come from the old one).
  // The old one's concealment (its signal continued, period by period) plays on until the new
  // one fades in, and fades out under it (mixFadingOut): a crossfade, never a click, nor a dip
  // to silence. (Starting the new one from its first frame instead, to continue the old one's
  // timeline exactly, started it below its level: the sender drops a partial datagram at a
  // switch; an underrun 20 ms later in the simulation.)
  bool splice = false;
  if (current_ != nullptr && !current_->playout.silent()) {
    if (current_->ring.readAvailable() > 0 || fadingOut_ != nullptr) return;
    splice = true;
  }
  Stream* next = pending_.exchange(nullptr, std::memory_order_acq_rel);
  if (next == nullptr) return;
  if (splice) {
    current_->fadingForSwitch = true;  // (fades out once the new one fades in)
    fadingOut_ = current_;
  } else if (current_ != nullptr) {
    retired_.write(&current_, 1);
  }
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
  RateController::Config rate;
  rate.errorClampSeconds = kMaxAllowanceSec;
  rate_ = RateController(rate);
  LevelCorrector::Config level;
  level.allowanceSeconds = kMaxAllowanceSec;
  level.meterSeconds = kDelaySmoothingSeconds;
  level_ = LevelCorrector(level);
  levelTargetSec_ = -1;
  smoothedDelaySec_ = -1;
  meterMean_ = std::nan("");
  meterVariance_ = kMaxAllowanceSec * kMaxAllowanceSec / 9;
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
  if (stopping) current_->playout.fadeOutNow();
  size_t done = 0;
  while (done < frames) {
    const size_t n = std::min(frames - done, config_.maxBlockFrames);
    renderBlock(*current_, out + done * timing.channels, n, timing);
    done += n;
  }
  if (fadingOut_ != nullptr) mixFadingOut(out, frames, timing.channels);
  if (stopping) fadedOut_.store(true);
}

// The stream a new format replaced, mixed at its own rate and layout on top of the new one: it
// plays on (into concealment if its ring runs dry) until the new one fades in, and fades out in
// the same block; retired once silent. (The device did not change: a new layout reopens it.)
void Engine::mixFadingOut(float* out, size_t frames, unsigned channels) noexcept {
  Stream& s = *fadingOut_;
  if (!s.fadingOut && current_ != nullptr && !current_->playout.silent()) {
    s.playout.fadeOutNow();
    s.fadingOut = true;
  }
  const size_t sinkChannels = s.mixed.size() / config_.maxBlockFrames;
  if (sinkChannels == channels) {
    for (size_t done = 0; done < frames;) {
      const size_t n = std::min(frames - done, config_.maxBlockFrames);
      s.resampler.read(s.resampled.data(), n, s.sinkRate / s.format.sampleRate);
      s.remap.apply(s.resampled.data(), s.mixed.data(), n);
      float* o = out + done * channels;
      for (size_t i = 0; i < n * channels; ++i) o[i] += s.mixed[i];
      done += n;
    }
  }
  if ((s.playout.silent() || sinkChannels != channels) && retired_.writeAvailable() > 0) {
    retired_.write(&fadingOut_, 1);
    fadingOut_ = nullptr;
  }
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
  takeEdits(s);
  // Until the sink knows its delay it says what it configured; a figure of 0 is never believed.
  // What the device holds once this block is written (its delay plus the block) is smoothed as
  // one figure: a sound server asks for more when its queue is lower (the two add up to its
  // buffer, the first request too). Smoothing the delay alone beside the instant block made the
  // target jump by a request's size (PulseAudio soak: |change| 1.1 ms a second on average,
  // against 0.4 ms for the measured latency), and the level corrector cut for those jumps.
  const double deviceSec = t.deviceDelayFrames / sinkRate;
  const double blockSec = static_cast<double>(frames) / sinkRate;
  if (t.delayValid || deviceDelaySec_ < 0) {
    const double k = deviceDelaySec_ < 0 || !t.delayValid ? 1.0 : std::min(1.0, dt / kDeviceSmoothingSeconds);
    deviceDelaySec_ += k * (deviceSec - deviceDelaySec_);
    queueSec_ += k * (deviceSec + blockSec - queueSec_);
  }
  // Beyond that, the ring must bridge how late datagrams come against the floor the latency is
  // measured from (the sender's bursts, jitter, and a loss lately: LatenessMeter), with a little
  // margin; the latency is measured to the middle of a datagram, the ring holds its whole.
  const double halfDatagramSec = 0.5 * s.framesPerDatagram / sourceRate;
  const double bridgeSec = s.latenessSec.load(std::memory_order_relaxed) + halfDatagramSec + kRingMarginSec;
  const double bridgedSec = std::min(queueSec_ + bridgeSec, std::max(config_.maxLatencyMs / 1000.0,
                                                                     queueSec_ + halfDatagramSec + kRingMarginSec));
  const double targetSec = std::max(target_.frames() / 1000.0, bridgedSec);
  levelTargetSec_ = std::max(targetSec, levelTargetSec_ - kLevelTargetFallPerSec * dt);
  const double resamplerFrames = s.resampler.delayFrames();
  // How much the ring must hold before fading in so that the latency measured is the target:
  // the newest datagram's middle plays after the device's delay, the resampler and the ring up
  // to it, counted from when that datagram would have come on time (how late it came, and how
  // long ago).
  const double newestAgoSec = static_cast<double>(t.nowNs - s.newestArrivalNs.load(std::memory_order_relaxed)) * 1e-9;
  const double newestOnTimeSec = s.newestLateSec.load(std::memory_order_relaxed) + std::clamp(newestAgoSec, 0.0, 0.1);
  s.primeFrames = std::max((targetSec - deviceDelaySec_ - newestOnTimeSec + halfDatagramSec) * sourceRate - resamplerFrames,
                           0.25 * targetSec * sourceRate);
  // After an underrun playback resumes once the ring can bridge that lateness again.
  s.playout.setResumeFrames(static_cast<size_t>((blockSec + bridgeSec) * sourceRate));

  s.renderNowNs = t.nowNs;
  const double correction = correctLevelAndRate(s, targetSec, nowSec, dt);
  const double speed = 1.0 + correction;
  s.resampler.read(s.resampled.data(), frames, sinkRate / (sourceRate * speed));
  account(s);

  // Publish when sender-timeline frame 0 would play: the next frame out of the ring plays after
  // what the device holds (including this block), what the resampler still holds and what the
  // playout has made to play before it.
  if (s.playout.silent()) {
    s.originNs.store(std::nan(""), std::memory_order_release);
  } else {
    const double playRate = sourceRate * speed;
    const double queued = s.resampler.delayFrames() + static_cast<double>(s.playout.queuedFrames());
    const double headNs = static_cast<double>(t.nowNs) +
                          (t.deviceDelayFrames + static_cast<double>(frames)) / sinkRate * 1e9 +
                          queued / playRate * 1e9;
    s.playbackRate.store(playRate, std::memory_order_relaxed);
    s.originNs.store(headNs - s.playedIndex() / playRate * 1e9, std::memory_order_release);
  }

  noteUnderrun(s, t.nowNs);
  const double leftMs = 1000.0 * static_cast<double>(s.ring.readAvailable() / s.channels) / sourceRate;
  // (Not just after a cut of ours: that empties the ring on purpose.)
  // (Nor while the ring is played down for a new format.)
  if (!s.playout.silent() && leftMs < kNearMissMs && nowSec - s.fadeInAtSec > kSettleSeconds &&
      pending_.load(std::memory_order_relaxed) == nullptr &&
      nowSec - lastNearMissSec_ > kNearMissHoldSeconds && nowSec - s.lastCutSec > kCutSettleSec) {
    lastNearMissSec_ = nowSec;
    target_.onNearMiss(nowSec);
  }

  s.remap.apply(s.resampled.data(), out, frames);

  const uint64_t concealed = s.playout.concealedFrames();
  stats_.concealedFrames.fetch_add(concealed - s.concealedReported, std::memory_order_relaxed);
  s.concealedReported = concealed;
  stats_.renderedFrames.fetch_add(frames, std::memory_order_relaxed);
  statusTargetMs_.store(targetSec * 1000.0, std::memory_order_relaxed);
  statusLateMs_.store(s.latenessSec.load(std::memory_order_relaxed) * 1000.0, std::memory_order_relaxed);
  if (smoothedDelaySec_ >= 0) statusLatencyMs_.store(smoothedDelaySec_ * 1000.0, std::memory_order_relaxed);
  statusSpeed_.store(speed, std::memory_order_relaxed);
  statusSilent_.store(s.playout.silent(), std::memory_order_relaxed);
}

// Edits from the network thread, each with its share of the declared balance; then the balance
// as a whole (those declared without an edit come through declaredLost).
void Engine::takeEdits(Stream& s) noexcept {
  for (uint64_t e = 0; s.edits.read(&e, 1) == 1;) {
    const auto kind = static_cast<Edit>(e >> 62);
    const uint64_t index = (e >> 16) & ((uint64_t{1} << 46) - 1);
    const size_t frames = e & 0xFFFF;
    const double size = static_cast<double>(frames);
    // (Each may fail: a skip or gap already played past is settled by a cut or an insert, a
    // cancel too late likewise; the balance below says how much.)
    switch (kind) {
      case Edit::kSkip:
        s.declaredByEdits -= size;
        s.playout.skipAt(index, frames);
        break;
      case Edit::kGap:
        s.declaredByEdits += size;
        s.playout.concealAt(index, frames);
        break;
      case Edit::kCancelGap:
        s.declaredByEdits -= size;
        s.playout.cancelConceal(index, frames);
        break;
    }
  }
  s.declaredSeen = s.declaredLost.load(std::memory_order_relaxed) + s.declaredByEdits;
}

// The ring running dry. While a loss is being judged, it is that loss arriving at the speakers
// before its declaration: the target stays, and the repeated periods are credited against the
// loss if it is declared (see correctLevelAndRate); if it is not, they are latency like any
// other, which the meter sees. Otherwise data
// back soon after was an underrun, and the target rises by how long the ring stayed dry; a
// long gap was the sender stopping.
void Engine::noteUnderrun(Stream& s, int64_t nowNs) noexcept {
  const double nowSec = static_cast<double>(nowNs) * 1e-9;
  // A stream played down for a new format runs dry on purpose.
  if (pending_.load(std::memory_order_relaxed) != nullptr) {
    s.playout.takeRanDry();
    return;
  }
  if (s.playout.takeRanDry() && s.dryAtNs < 0) {
    s.dryAtNs = nowNs;
    s.dryForLoss = s.lossSuspected.load(std::memory_order_relaxed);
    if (s.dryCredit == 0) s.lateAtDrySec = s.latenessSec.load(std::memory_order_relaxed);
  }
  const uint64_t dry = s.playout.underrunConcealedFrames();
  if (s.dryForLoss) s.dryCredit += static_cast<double>(dry - s.drySeen);
  s.drySeen = dry;
  const bool fadedIn = s.resumed;  // from silence, primed afresh: the meter starts over
  if (!s.playout.takeResumed() && !fadedIn) return;
  s.resumed = false;
  if (fadedIn) {
    s.fadeInAtSec = nowSec;
    s.startCorrected = false;
    levelTargetSec_ = -1;  // primed afresh: nothing left to drain from before
  }
  if (s.dryAtNs >= 0 && nowNs - s.dryAtNs < config_.streamGapNs && !s.dryForLoss) {
    stats_.underruns.fetch_add(1, std::memory_order_relaxed);
    const double dryMs = std::min(static_cast<double>(nowNs - s.dryAtNs) * 1e-6, kMaxRaiseMs);
    target_.onUnderrun(nowSec, dryMs);  // this engine counts the target in ms
  }
  s.dryAtNs = -1;
  s.dryForLoss = false;
}

// The latency error goes two ways: within the allowance the rate controller follows it in
// pitch (clock drift); beyond it, and for datagrams declared lost, the level corrector has the
// playout insert or cut whole periods. Returns the speed correction.
double Engine::correctLevelAndRate(Stream& s, double targetSec, double nowSec, double dt) noexcept {
  const double latencySec = s.arrivalLatencySec.load(std::memory_order_relaxed);
  if (s.playout.silent() || std::isnan(latencySec)) {
    if (s.playout.silent()) smoothedDelaySec_ = -1;
    return rate_.correction();
  }
  smoothedDelaySec_ = latencySec;
  if (config_.quality == ResamplerQuality::kOff) {
    // The benchmark's baseline: no control. Declarations only keep the meter on the timeline
    // (a lost datagram's frames simply never play).
    s.lostPaid = s.declaredSeen;
    return 0;
  }
  const double error = latencySec - targetSec;
  followMeterNoise(latencySec, dt);
  if (error > std::max(targetSec, kBacklogMarginSec)) {
    s.playout.fadeOutNow();  // this block fades out; the refill keeps only the prime level
    stats_.backlogLatencyMs.store(latencySec * 1000.0, std::memory_order_relaxed);
    stats_.backlogTargetMs.store(targetSec * 1000.0, std::memory_order_relaxed);
    stats_.backlogFlushes.fetch_add(1, std::memory_order_relaxed);
    return rate_.correction();
  }
  const double rate = s.format.sampleRate;
  // Just after a fade-in the measurement is still settling: hold the rate, then correct what
  // the priming left in time, once.
  const double sinceFadeIn = nowSec - s.fadeInAtSec;
  if (sinceFadeIn < kMeterSettleSec) return rate_.correction();
  LevelCorrector::Decision d;
  if (!s.startCorrected) {
    s.startCorrected = true;
    d = level_.correctStart(nowSec, error, rate, s.playout.minPeriodFrames(), s.playout.maxPeriodFrames());
  } else {
    double owed = s.owedFrames();
    if (owed > 0 && s.dryCredit > 0) {
      const double paid = std::min(owed, s.dryCredit);  // concealed already, while it was judged
      s.lostPaid += paid;
      s.dryCredit -= paid;
      owed -= paid;
    } else if (!s.lossSuspected.load(std::memory_order_acquire) && s.dryAtNs < 0) {
      // The ring ran dry while a loss was judged, and none was declared (or less than ran dry):
      // it was lateness, an underrun like any other, and the target rises by how long it was
      // dry, less what the ring bridges more since (LatenessMeter saw it too: a burst of jitter;
      // not a stall over 50 ms). (Left out, a stall of 80 ms every 5 s ran the ring dry once
      // more before the target covered it: benchmark stall80, 145 ms of glitches against 45
      // without control; counted in full, bursty jitter raised the target twice: 99 ms, not 75.)
      if (s.dryCredit > 0) {
        stats_.underruns.fetch_add(1, std::memory_order_relaxed);
        const double bridgedMoreMs = 1000.0 * std::max(0.0, s.latenessSec.load(std::memory_order_relaxed) - s.lateAtDrySec);
        const double raiseMs = 1000.0 * s.dryCredit / rate - bridgedMoreMs;
        if (raiseMs > 0) target_.onUnderrun(nowSec, std::min(raiseMs, kMaxRaiseMs));
      }
      s.dryCredit = 0;
    }
    // The ring should hold what the target leaves after the device; half of that is low.
    const double ringSec = static_cast<double>(s.ring.readAvailable() / s.channels) / rate;
    const bool ringLow = ringSec < 0.5 * (targetSec - deviceDelaySec_);
    // (An excess counts against the target as it was, falling no faster than the rate follows.)
    const double levelError = error > 0 ? std::max(0.0, latencySec - levelTargetSec_) : error;
    d = level_.decide(nowSec, dt, levelError, owed, rate, s.playout.minPeriodFrames(),
                      s.playout.maxPeriodFrames(), s.playout.busy(), ringLow);
  }
  if (d.action == LevelCorrector::Action::kInsert) s.playout.insert(d.frames, d.limit);
  if (d.action == LevelCorrector::Action::kCut) s.playout.cut(d.frames, d.limit);
  if (d.action != LevelCorrector::Action::kNone) s.asked = d.reason;
  return rate_.update(level_.effectiveError(error), dt);
}

// How much the latency measurement wanders by itself (sender bursts, jitter): the allowance.
void Engine::followMeterNoise(double latencySec, double dt) noexcept {
  const double alpha = std::min(1.0, dt / kNoiseSeconds);
  if (std::isnan(meterMean_)) meterMean_ = latencySec;
  meterMean_ += alpha * (latencySec - meterMean_);
  const double d = latencySec - meterMean_;
  meterVariance_ += alpha * (d * d - meterVariance_);
  const double allowance = std::clamp(3.0 * std::sqrt(meterVariance_), kMinAllowanceSec, kMaxAllowanceSec);
  level_.setAllowance(allowance);
  rate_.setErrorClamp(allowance);
}

// What the playout inserted or cut since the last block: frames for declared losses are paid
// off (the latency meter already counted them), the rest the level corrector remembers.
void Engine::account(Stream& s) noexcept {
  const uint64_t skipped = s.playout.skippedFrames();
  s.lostPaid -= static_cast<double>(skipped - s.skippedSeen);  // repeats taken out in place
  s.skippedSeen = skipped;
  const uint64_t concealedAt = s.playout.concealedAtFrames();
  s.lostPaid += static_cast<double>(concealedAt - s.concealedAtSeen);  // losses filled in place
  s.concealedAtSeen = concealedAt;
  stats_.insertedFrames.store(s.playout.insertedFrames() + concealedAt, std::memory_order_relaxed);
  stats_.insertedInPlaceFrames.store(concealedAt, std::memory_order_relaxed);
  const uint64_t inserted = s.playout.insertedFrames(), cut = s.playout.cutFrames();
  if (cut != s.cutSeen) s.lastCutSec = lastRenderNs_ * 1e-9;
  const double net = static_cast<double>(inserted - s.insertedSeen) - static_cast<double>(cut - s.cutSeen);
  s.insertedSeen = inserted;
  s.cutSeen = cut;
  if (net == 0) return;
  if (s.asked == LevelCorrector::Reason::kOwed) {
    const double owedBefore = s.owedFrames();
    s.lostPaid += net;
    const double owedAfter = owedBefore - net;
    // Periods rarely match the balance exactly. An overshoot is not paid back the other way
    // (on a pure tone only one period length splices cleanly, so that would never settle): it
    // is written off and becomes latency like any other, which the meter sees.
    if (owedAfter != 0 && (owedAfter > 0) != (owedBefore > 0)) {
      s.lostPaid += owedAfter;
      level_.onLevelApplied(-owedAfter, s.format.sampleRate);
    }
  } else {
    level_.onLevelApplied(net, s.format.sampleRate);
  }
  stats_.cutFrames.store(cut, std::memory_order_relaxed);
}

double Engine::predictedPlayNs(uint64_t index) const {
  if (writing_ == nullptr) return std::nan("");
  const double rate = writing_->playbackRate.load();
  return writing_->originNs.load() + static_cast<double>(index) / rate * 1e9;
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
  st.bridgedLateMs = statusLateMs_.load(std::memory_order_relaxed);
  st.senderPpm = statusPpm_.load(std::memory_order_relaxed);
  st.speed = statusSpeed_.load(std::memory_order_relaxed);
  st.locked = statusLocked_.load(std::memory_order_relaxed);
  st.silent = statusSilent_.load(std::memory_order_relaxed);
  return st;
}

}  // namespace scream::receiver
