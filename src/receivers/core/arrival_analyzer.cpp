#include "arrival_analyzer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "signal_continuity.h"

namespace scream::receiver {

namespace {

constexpr double kMinDatagramSeconds = 0.0015;  // shorter datagrams: detection off
// The floor and the jitter are learnt for this long before any step is believed.
constexpr double kWarmUpSeconds = 2.0;
constexpr double kEarlyWarmUpSeconds = 1.0;  // for losses seen at once (the band alone)
constexpr double kMinConfirmSeconds = 0.06;
constexpr double kMaxConfirmSeconds = 1.0;
// Confirm a step after 3.5 x the longest floor-to-floor gap of the last 2-4 s: with 20 ms of
// uniform jitter, a 6 ms datagram and about 15 % of bursts at the floor, a run of no visits
// that long (~70 bursts) happens by chance about once in 10^5.
constexpr double kConfirmPerGap = 3.5;
constexpr double kEpochSeconds = 2.0;
// A step must be this close to a whole number of datagrams: jitter makes any size.
constexpr double kStepTolerance = 0.35;
// A step longer than this is the sender pausing or jumping, not datagrams lost on the way: the
// line is anchored afresh instead of filling it with concealment.
constexpr double kMaxLossSeconds = 0.04;
// Beyond the widest band lately by this much, with the band narrower than a datagram by this
// much, a residual is a loss at once.
constexpr double kEarlyMarginSeconds = 0.0008;
// A datagram while declarations at once are watched that lies this far below the floor on the
// line they moved says they were only late. After a real loss the stream keeps to the floor on
// the moved line (a floor is a minimum: residuals do not go below it by more than its drift);
// a sender that woke up late often sends the next datagram late too, but by less: measured in a
// 300 s loopback soak, such a datagram lay 0.55-1.25 ms below the floor, and with the margins
// before (0.8 ms for the next datagram, 3 ms for later ones) the declaration was taken back only
// 8-16 ms later, after its concealment had played: a concealment, then a cut. Outside the 30 ms
// after a declaration, 2 datagrams in 49,184 of that soak lay more than 0.3 ms below the floor.
constexpr double kTakeBackMarginSeconds = 0.0003;
// ... and that margin grows with the time since the declaration as far as a clock can drift
// (until the clock estimator locks, the line may tilt by as much): a real loss is not taken back
// because the residuals slid down under a sender running fast.
constexpr double kMaxClockRatio = 0.002;
// Datagrams further apart than this are in different bursts of the sender.
constexpr double kBurstGapSeconds = 0.001;
// A jump into a datagram this many times the other candidate's, and this large (of full scale),
// says where a datagram went missing (whereInBurst).
constexpr double kJumpRatio = 3;
constexpr double kMinJump = 0.002;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

}  // namespace

ArrivalAnalyzer::ArrivalAnalyzer() : previous_(protocol::kPayloadBytes) {}

void ArrivalAnalyzer::reset(const protocol::Format& format) {
  bytesPerSecond_ = static_cast<double>(format.sampleRate) * format.bytesPerFrame();
  datagramSeconds_ = bytesPerSecond_ > 0 ? protocol::kPayloadBytes / bytesPerSecond_ : 0;
  detecting_ = datagramSeconds_ >= kMinDatagramSeconds;
  wholeFrames_ = format.bytesPerFrame() > 0 && protocol::kPayloadBytes % format.bytesPerFrame() == 0;
  bytesPerSample_ = format.bytesPerSample();
  bytesPerFrame_ = format.bytesPerFrame();
  ratio_ = 1.0;
  repeatNow_ = realNow_ = false;
  lostDatagrams_ = 0;
  duplicates_ = 0;
  resync();
}

void ArrivalAnalyzer::resync() noexcept {
  anchored_ = false;
  state_ = State::kSteady;
  previousBytes_ = 0;
  history_ = 0;
  repeating_ = false;
  provisional_ = false;  // (repeatNow_ / realNow_ stay: onDatagram hands them out, then clears them)
  bucketMin_.fill(kInfinity);
  heldUp_ = seamlessHold_ = false;
}

double ArrivalAnalyzer::floor() const { return *std::min_element(bucketMin_.begin(), bucketMin_.end()); }

double ArrivalAnalyzer::confirmSeconds() const {
  if (lastVisit_ < kWarmUpSeconds) return kMaxConfirmSeconds;
  const double gap = std::max(longestGap_, previousLongestGap_);
  return std::clamp(kConfirmPerGap * gap, kMinConfirmSeconds, kMaxConfirmSeconds);
}

void ArrivalAnalyzer::addToFloor(double residual, double t) noexcept {
  if (t - bucketStart_ >= kBucketSeconds) {
    const auto passed = static_cast<size_t>((t - bucketStart_) / kBucketSeconds);
    for (size_t i = 0; i < std::min(passed, kBuckets); ++i) {
      bucket_ = (bucket_ + 1) % kBuckets;
      bucketMin_[bucket_] = kInfinity;
    }
    bucketStart_ = t;
  }
  bucketMin_[bucket_] = std::min(bucketMin_[bucket_], residual);
}

void ArrivalAnalyzer::TypicalBand::note(double width, int times) noexcept {
  for (int i = 0; i < times && width > widest.back(); ++i) {
    widest.back() = width;
    std::sort(widest.begin(), widest.end(), std::greater<>());
  }
}

// A residual that belongs to the steady stream: into the floor and the jitter statistics.
void ArrivalAnalyzer::noteSteady(double residual, double floor, double t) noexcept {
  if (t - epochStart_ >= kEpochSeconds) {
    previousLongestGap_ = longestGap_;
    previousWidestBand_ = widestBand_;
    band_.nextEpoch();
    longestGap_ = widestBand_ = 0;
    epochStart_ = t;
  }
  if (std::isfinite(floor)) {
    widestBand_ = std::max(widestBand_, residual - floor);
    band_.note(residual - floor);
    if (residual <= floor + 0.5 * datagramSeconds_) {
      longestGap_ = std::max(longestGap_, t - lastVisit_);
      lastVisit_ = t;
    }
  } else {
    lastVisit_ = t;
  }
  addToFloor(residual, t);
}

ArrivalAnalyzer::Verdict ArrivalAnalyzer::onDatagram(int64_t arrivalNs, const uint8_t* pcm,
                                                     size_t bytes) noexcept {
  Verdict v = judge(arrivalNs, pcm, bytes);
  // How late it came, on the line as it now stands (a loss declared with it moved the line).
  late_ = 0;
  watched_ = anchored_ ? static_cast<double>(arrivalNs - originNs_) * 1e-9 : 0.0;
  const double f = floor();
  if (anchored_ && !v.duplicate && std::isfinite(f) && bytesPerSecond_ > 0) {
    const double end = dueSeconds_ + (v.provisional ? static_cast<double>(bytes) / (bytesPerSecond_ * ratio_) : 0.0);
    late_ = watched_ - end - f;
  }
  v.previousWasRepeat = repeatNow_;
  v.previousWasReal = realNow_;
  repeatNow_ = realNow_ = false;
  return v;
}

ArrivalAnalyzer::Verdict ArrivalAnalyzer::judge(int64_t arrivalNs, const uint8_t* pcm,
                                                size_t bytes) noexcept {
  if (bytes == 0 || bytesPerSecond_ <= 0) return {};
  const bool identical = bytes == previousBytes_ && bytes <= previous_.size() &&
                         std::memcmp(pcm, previous_.data(), bytes) == 0;
  if (bytes <= previous_.size()) {
    std::memcpy(previous_.data(), pcm, bytes);
    previousBytes_ = bytes;
  }
  // A provisional datagram (below) is settled by the next: the same bytes again mean the signal
  // repeats itself (it was real, on the line it goes), different bytes that it was a repeat.
  if (provisional_) {
    provisional_ = false;
    if (identical) {
      realNow_ = true;
      dueSeconds_ += static_cast<double>(bytes) / (bytesPerSecond_ * ratio_);
    } else {
      ++duplicates_;
      repeatNow_ = true;
    }
  }
  // The two datagrams before differed, so the signal does not repeat itself at a datagram's
  // length: the same bytes again are almost surely the same datagram again (real audio that is
  // not periodic never repeats 1152 bytes exactly), whenever they arrive. But a signal can turn
  // periodic (digital silence after sound): the next datagram tells. Meanwhile this one plays
  // provisionally, off the line, and the engine skips it before it plays unless the next says
  // it was real. (Not where frames straddle datagrams: a repeat played would shift every frame.)
  const bool aperiodic = history_ >= 2 && !repeating_ && wholeFrames_;
  repeating_ = identical;
  history_ = std::min(history_ + 1, 2);

  if (!anchored_) {
    anchored_ = true;
    originNs_ = arrivalNs;
    dueSeconds_ = 0;
    bucketStart_ = lastVisit_ = epochStart_ = 0;
    longestGap_ = previousLongestGap_ = widestBand_ = previousWidestBand_ = 0;
    band_ = {};
    burst_ = {};
    return {};
  }
  const double t = static_cast<double>(arrivalNs - originNs_) * 1e-9;
  const double due = dueSeconds_ + static_cast<double>(bytes) / (bytesPerSecond_ * ratio_);
  const double residual = t - due;
  const double p = datagramSeconds_;
  const double f = floor();
  const bool warm = detecting_ && t >= kWarmUpSeconds && std::isfinite(f);
  trace_ = {t, residual, f, band_.value(), false};

  if (warm && identical && residual < f - 0.5 * p) {
    ++duplicates_;  // too early to be the next datagram: the same one again
    return {true, 0};
  }
  if (identical && aperiodic) {
    provisional_ = true;
    Verdict v;
    v.provisional = true;
    return v;
  }
  dueSeconds_ = due;
  ++datagrams_;
  edges_[datagrams_ % edges_.size()] = wholeFrames_ ? edgesOf(pcm, bytes) : Edges{};
  if (!continuesFromPrevious(datagrams_)) lastBreak_ = datagrams_;
  if (residual <= f + 0.5 * p) lastLow_ = datagrams_;
  trackBursts(arrivalNs, residual, f);
  if (seamlessHold_ && beyondBand(residual, f) == 0 && lostBeforeBurst(f) == 0) seamlessHold_ = false;
  // A loss seen at once needs only the band, learnt sooner: losses in the learning time would
  // otherwise vanish into the floor and leave the timeline off by them.
  const bool learnt = detecting_ && t >= kEarlyWarmUpSeconds && std::isfinite(f);
  if (!warm && !learnt) {
    noteSteady(residual, f, t);
    return {};
  }
  if (!warm) {
    if (state_ == State::kLossDeclaredEarly) return watchEarlyLoss(residual, f, t);
    if (Verdict v; declareEarly(residual, f, t, v)) return v;
    noteSteady(residual, f, t);
    return {};
  }
  // (Losses declared at once are watched through identical datagrams too: a repeat came early
  // and was dropped above; what is left is a periodic signal's next datagram.)
  if (state_ == State::kLossDeclaredEarly) return watchEarlyLoss(residual, f, t);
  if (identical && state_ != State::kDuplicateSuspected) {
    // The same bytes again, or a neighbour in a periodic signal: what follows will tell. (A loss
    // being judged meanwhile is given up: both at once are rare, and the meter sees it anyway.)
    state_ = State::kDuplicateSuspected;
    suspectSince_ = t;
    suspectDatagrams_ = 0;
    suspectFloor_ = f;
    noteSteady(residual, f, t);
    return {};
  }
  if (state_ == State::kDuplicateSuspected) return judgeDuplicate(residual, f, t);
  if (state_ != State::kLossSuspected) heldUp_ = false;  // (that event is judged)
  // (A loss being judged is often only a datagram late in its burst: what is clearly a loss
  // now replaces it; not while the stream is held up, datagrams coming later and later.)
  if (Verdict v; !heldUp_ && declareEarly(residual, f, t, v)) return v;
  if (state_ == State::kLossSuspected) return judgeLoss(residual, f, t);
  if (residual > f + 0.5 * p) {
    state_ = State::kLossSuspected;
    suspectSince_ = t;
    suspectMin_ = suspectMax_ = residual;
    suspectDatagrams_ = 1;
    suspectFrom_ = lastLow_ + 1;  // a loss behind this step lies after the last datagram on the floor
    return {};
  }
  noteSteady(residual, f, t);
  return {};
}

ArrivalAnalyzer::Verdict ArrivalAnalyzer::judgeLoss(double residual, double f, double t) noexcept {
  const double p = datagramSeconds_;
  if (residual <= f + 0.5 * p) {
    // Back at the floor: it was jitter, as wide as it went.
    state_ = State::kSteady;
    widestBand_ = std::max(widestBand_, suspectMax_ - f);
    band_.note(suspectMax_ - f, suspectDatagrams_);
    noteSteady(residual, f, t);
    return {};
  }
  suspectMin_ = std::min(suspectMin_, residual);
  suspectMax_ = std::max(suspectMax_, residual);
  ++suspectDatagrams_;
  const double band = std::max(widestBand_, previousWidestBand_);
  if (suspectMax_ - suspectMin_ > band + 0.5 * p) {
    // Wider than the steady stream's band: a burst of jitter, not a step. Judge afresh from here.
    widestBand_ = std::max(widestBand_, suspectMax_ - f);
    band_.note(suspectMax_ - f, suspectDatagrams_);
    suspectSince_ = t;
    suspectMin_ = suspectMax_ = residual;
    suspectDatagrams_ = 1;
    return {};
  }
  if (t - suspectSince_ < confirmSeconds() || suspectDatagrams_ < 2) return {};

  state_ = State::kSteady;
  const double step = suspectMin_ - f;
  const long k = std::lround(step / p);
  if (step > kMaxLossSeconds) {
    resync();  // a pause or a jump in the sender, not loss (seamless or not)
    return {};
  }
  if (suspectFrom_ > 0 && lastBreak_ < suspectFrom_) {
    // The audio went on seamlessly where the step began: nothing audible is missing there, the
    // stream is only later (bursts of jitter late by a few datagrams for longer than the confirm
    // time: measured in simulation, 9 false losses in 30 s, each concealment then cut). If it was
    // a periodic signal losing a whole period, nothing is missing either: once the floor has
    // followed (~1 s) the latency figure shows a datagram less and the level corrector settles it.
    widestBand_ = std::max(widestBand_, suspectMax_ - f);
    band_.note(suspectMax_ - f, suspectDatagrams_);
    trace_.seamless = true;
    noteSteady(residual, f, t);
    return {};
  }
  if (k < 1 || std::fabs(step / p - static_cast<double>(k)) > kStepTolerance) {
    noteSteady(residual, f, t);  // not a whole number of datagrams: the path changed
    return {};
  }
  moveLine(static_cast<double>(k) * p);
  lostDatagrams_ += static_cast<uint64_t>(k);
  lastVisit_ = t;  // the time spent confirming is not a jitter gap
  addToFloor(residual - static_cast<double>(k) * p, t);
  return {false, k * static_cast<int64_t>(protocol::kPayloadBytes), suspectDatagrams_};
}

// Whole datagrams a residual lies beyond the band (0 if within it, or if the band is too wide
// for losses to be seen at once).
long ArrivalAnalyzer::beyondBand(double residual, double f) const noexcept {
  return datagramsBeyond(residual - f, band_.value());
}

// Whole datagrams `excess` (above the floor) lies beyond `band` (0 if within it, or if the band
// is too wide, by the margin, for a datagram to show).
long ArrivalAnalyzer::datagramsBeyond(double excess, double band) const noexcept {
  const double p = datagramSeconds_;
  if (band + kEarlyMarginSeconds >= p || excess <= band + kEarlyMarginSeconds) return 0;
  return std::lround(std::floor((excess + kEarlyMarginSeconds) / p));
}

// A steady stream whose band of residuals is narrower than a datagram (a sender that paces each
// datagram, a quiet network): a residual beyond the band by whole datagrams is those datagrams
// lost right before this one, declared at once so the engine conceals them in place, before
// playback gets there. Often it is only late (the sender woke up late once): then the next
// datagram is back on the old line, below the new floor, and the declaration is taken back at
// once (watchEarlyLoss), mostly before the concealment plays.
// Returns true when it has judged the datagram (then `v` says how). While earlier declarations
// are still watched, a new one joins them (`chained`): two losses a few datagrams apart.
// The audio has the last word where it can give one: a tone that goes on seamlessly from the
// datagram before lost nothing between them, however late this one came (measured: all 57
// declarations of a 300 s loopback soak were such late datagrams, 5 of them taken back only after
// their concealment had played). Music and noise cannot be judged so: timing decides there.
bool ArrivalAnalyzer::declareAtOnce(double residual, double f, double t, Verdict& v) noexcept {
  const double p = datagramSeconds_;
  const long k = beyondBand(residual, f);
  if (k < 1 || static_cast<double>(k) * p > kMaxLossSeconds) return false;
  if (onlyLate(datagrams_, t)) return false;
  v = watchNewGap(k, 0, residual, f, t);
  return true;
}

// A sender that sends in bursts (a 10 ms timer, 6 ms datagrams: one or two a burst) spreads its
// residuals wider than a datagram, but the last datagram of each burst ends within a datagram
// before the burst was sent: its residual keeps a band narrower than a datagram. When a burst
// ends (the next datagram comes a while later), a last residual beyond that band by whole
// datagrams is those datagrams lost before the burst: declared when the next burst begins, and
// concealed before the burst's first datagram, ~10 ms ago in the ring, before playback gets there.
// (Where the last one before the loss ended a burst, the loss shows only in the next burst:
// before its first datagram is where it was lost too.) Needed only where the band of all
// residuals is too wide for declareAtOnce.
bool ArrivalAnalyzer::declareAfterBurst(double residual, double f, double t, Verdict& v) noexcept {
  const double p = datagramSeconds_;
  if (band_.value() + kEarlyMarginSeconds < p) return false;  // declareAtOnce's
  const long k = lostBeforeBurst(f);
  if (k < 1 || static_cast<double>(k) * p > kMaxLossSeconds) return false;
  // Seamless at both of the burst's edges: nothing is missing there, the burst was only late.
  if (onlyLate(datagrams_ - static_cast<uint64_t>(burst_.previousLength), t)) return false;
  // Once a burst could not tell, the next ones cannot either (the loss may lie before any of
  // them): the slow path judges it.
  const int back = burst_.undecided ? -1 : whereInBurst();
  burst_.undecided = back < 0;
  if (back < 0) return false;
  v = watchNewGap(k, back, residual, f, t);
  return true;
}

// A burst that came short (the sender sent one datagram more with it) lost it before its first
// datagram or after its last: the timing is the same either way. The audio tells: where a
// datagram is missing, the waveform jumps. Returns how many datagrams before this one the gap
// is (0: right before this one), or -1 when neither boundary is clearly the one.
int ArrivalAnalyzer::whereInBurst() const noexcept {
  const int length = burst_.previousLength;
  const bool full = length >= std::max(burst_.longest, burst_.previousLongest);
  const uint64_t first = datagrams_ - static_cast<uint64_t>(length);
  if (length > kMaxBurstDatagrams) return -1;  // further back than the engine keeps
  if (!wholeFrames_ || first < 2) return full ? length : -1;
  const double before = edges_[(first - 1) % edges_.size()].jumpInto(edges_[first % edges_.size()]);
  const double after = edges_[(datagrams_ - 1) % edges_.size()].jumpInto(edges_[datagrams_ % edges_.size()]);
  if (after > kJumpRatio * before && after > kMinJump) return 0;
  if (before > kJumpRatio * after && before > kMinJump) return length;
  return full ? length : -1;
}

// How far the first sample of `next` lies off the line the last two samples of this one draw.
double ArrivalAnalyzer::Edges::jumpInto(const Edges& next) const noexcept {
  return std::fabs(next.head[0] - (2.0 * tail[kTail - 1] - tail[kTail - 2]));
}

// Whether datagram `datagram` (by datagrams_; still in edges_) continues the one placed before it
// seamlessly (channel 0).
bool ArrivalAnalyzer::continuesFromPrevious(uint64_t datagram) const noexcept {
  if (datagram < 2 || datagram + edges_.size() <= datagrams_ + 1) return false;
  const Edges& before = edges_[(datagram - 1) % edges_.size()];
  const Edges& now = edges_[datagram % edges_.size()];
  if (!before.valid || !now.valid) return false;
  return continuityAcross(before.tail.data(), Edges::kTail, now.head.data(), Edges::kHead) == Continuity::kContinues;
}

// Whether the audio shows a loss that timing places before datagram `first` (or right before
// this one) to be only lateness: seamless across both edges (one, when they are the same), or
// held so since such a verdict until the stream came back within its band. Not before the slow
// path runs (kWarmUpSeconds): it alone would find a loss the audio cannot show.
bool ArrivalAnalyzer::onlyLate(uint64_t first, double t) noexcept {
  // (The latest datagram's boundary was judged as it was placed: lastBreak_.)
  const bool latestContinues = lastBreak_ != datagrams_;
  const bool seamless = seamlessHold_ || (t >= kWarmUpSeconds && latestContinues &&
                                          (first == datagrams_ || continuesFromPrevious(first)));
  if (seamless) trace_.seamless = seamlessHold_ = true;
  return seamless;
}

// Channel 0 of the first frames and of the last, as -1..1.
ArrivalAnalyzer::Edges ArrivalAnalyzer::edgesOf(const uint8_t* pcm, size_t bytes) const noexcept {
  const auto sample = [&](size_t frame) {
    const uint8_t* at = pcm + frame * bytesPerFrame_;
    uint32_t v = 0;
    for (size_t b = 0; b < bytesPerSample_; ++b) v |= uint32_t{at[b]} << (8 * (4 - bytesPerSample_ + b));
    return static_cast<float>(static_cast<double>(static_cast<int32_t>(v)) / 2147483648.0);  // (left-aligned)
  };
  const size_t frames = bytesPerFrame_ > 0 ? bytes / bytesPerFrame_ : 0;
  Edges e;
  if (frames < Edges::kTail || frames < Edges::kHead) return e;
  for (size_t i = 0; i < Edges::kTail; ++i) e.tail[i] = sample(frames - Edges::kTail + i);
  for (size_t i = 0; i < Edges::kHead; ++i) e.head[i] = sample(i);
  e.valid = true;
  return e;
}

bool ArrivalAnalyzer::declareEarly(double residual, double f, double t, Verdict& v) noexcept {
  return declareAtOnce(residual, f, t, v) || declareAfterBurst(residual, f, t, v);
}

// Whole datagrams the burst that just ended (if one did) shows lost before it.
long ArrivalAnalyzer::lostBeforeBurst(double f) const noexcept {
  return burst_.ended ? datagramsBeyond(burst_.previousLast - f, burst_.band.value()) : 0;
}

// Declares k datagrams lost before the datagram `back` datagrams before this one (0: right before
// this one), and watches the declaration (with those still watched, if any).
ArrivalAnalyzer::Verdict ArrivalAnalyzer::watchNewGap(long k, int back, double residual, double f,
                                                      double t) noexcept {
  const bool chained = state_ == State::kLossDeclaredEarly;
  if (!chained) {
    chainLength_ = 0;
    suspectFloor_ = f;
    watchSince_ = t;
  }
  chain_[chainLength_++] = {k, datagrams_ - static_cast<uint64_t>(back), false};
  moveLine(static_cast<double>(k) * datagramSeconds_);
  lostDatagrams_ += static_cast<uint64_t>(k);
  state_ = State::kLossDeclaredEarly;
  suspectSince_ = t;
  suspectDatagrams_ = 1;
  earlyResidual_ = residual;
  Verdict v;
  v.shiftBytes = k * static_cast<int64_t>(protocol::kPayloadBytes);
  v.gapBeforeThis = true;
  v.gapDatagramsBack = back;
  v.datagramsSinceStep = back;  // measured on the old line
  v.chained = chained;
  return v;
}

// Bursts: datagrams that arrive within kBurstGapSeconds of the one before belong to its burst.
// When one ends, its last residual goes into the burst band (unless it is being judged a loss).
void ArrivalAnalyzer::trackBursts(int64_t arrivalNs, double residual, double f) noexcept {
  const double t = static_cast<double>(arrivalNs - originNs_) * 1e-9;
  burst_.ended = burst_.length > 0 && static_cast<double>(arrivalNs - burst_.lastArrivalNs) * 1e-9 > kBurstGapSeconds;
  if (burst_.ended) {
    burst_.previousLength = burst_.length;
    burst_.previousLast = burst_.last;
    burst_.length = 0;
    if (t - burst_.epochStart >= kEpochSeconds) {
      burst_.band.nextEpoch();
      burst_.previousLongest = burst_.longest;
      burst_.longest = 0;
      burst_.epochStart = t;
    }
    burst_.longest = std::max(burst_.longest, burst_.previousLength);
    // (Not one that shows a loss: it is declared, or taken back as only late.)
    const double width = burst_.previousLast - f;
    const bool showsLoss = lostBeforeBurst(f) > 0;
    if (!showsLoss) burst_.undecided = false;
    if (std::isfinite(f) && !showsLoss && (state_ != State::kLossSuspected || width < datagramSeconds_)) {
      burst_.band.note(width);
    }
  }
  ++burst_.length;
  burst_.last = residual;
  burst_.lastArrivalNs = arrivalNs;
}

void ArrivalAnalyzer::moveLine(double seconds) noexcept {
  dueSeconds_ += seconds;
  burst_.last -= seconds;
  burst_.previousLast -= seconds;
}

// Every datagram while losses declared at once are watched bounds them: it cannot come early,
// so at most (its residual on the line before the first declaration - that floor) / P datagrams
// were lost. Declarations beyond that are taken back, the latest first, by any datagram that lies
// kTakeBackMarginSeconds below the floor on the moved line: mostly the very next one says the
// declared one was only late (the sender woke up late once: that one datagram is not counted as
// the stream's jitter, or every such wake-up would turn this off for seconds).
ArrivalAnalyzer::Verdict ArrivalAnalyzer::watchEarlyLoss(double residual, double f, double t) noexcept {
  const double p = datagramSeconds_;
  ++suspectDatagrams_;
  const double oldLine = residual + static_cast<double>(chainDatagrams()) * p;
  const double margin = kTakeBackMarginSeconds + kMaxClockRatio * (t - watchSince_);
  const long bound = std::max(0L, std::lround(std::floor((oldLine - suspectFloor_ + margin) / p)));
  if (bound < chainDatagrams()) {
    Verdict v = takeBackEarlyLosses(bound);
    const double onLine = oldLine - static_cast<double>(chainDatagrams()) * p;
    if (chainLength_ == 0) state_ = State::kSteady;
    markChainNoted();
    noteSteady(onLine, floor(), t);
    return v;
  }
  // The declaring datagram stands (this one did not take it back): into the floor, once.
  if (suspectDatagrams_ == 2) noteDeclaring(f);
  if (beyondBand(residual, f) > 0 || lostBeforeBurst(f) > 0) {
    if (chainLength_ < kMaxChainedGaps) {
      // Another loss while the first is watched: it joins it.
      if (Verdict v; declareEarly(residual, f, t, v)) return v;
    } else {
      // Later and later, beyond the band again and again: the stream is being held up (the
      // sender or the path stalled), not losing one datagram after another; chained further,
      // the first declarations would stand when it comes back (measured: false gaps of 6-12 ms
      // in a clean stream, each a glitch). Taken back; the slow path judges the whole event: a
      // loss shows as a step that stays.
      Verdict v = takeBackEarlyLosses(0);
      if (t < kWarmUpSeconds) {  // no slow path yet
        state_ = State::kSteady;
        return v;
      }
      state_ = State::kLossSuspected;
      heldUp_ = true;
      suspectSince_ = t;
      suspectMin_ = suspectMax_ = oldLine;
      suspectDatagrams_ = 1;
      suspectFrom_ = 0;  // (each declaration was judged against the audio as it came)
      return v;
    }
  }
  if (t - suspectSince_ >= confirmSeconds()) state_ = State::kSteady;
  markChainNoted();
  noteSteady(residual, f, t);
  return {};
}

// The datagram that made the latest declaration, into the floor on the line it moved.
void ArrivalAnalyzer::noteDeclaring(double f) noexcept {
  const double k = static_cast<double>(chain_[chainLength_ - 1].datagrams);
  noteSteady(earlyResidual_ - k * datagramSeconds_, f, suspectSince_);
  markChainNoted();
}

void ArrivalAnalyzer::markChainNoted() noexcept {
  for (int i = 0; i < chainLength_; ++i) chain_[i].noted = true;
}

long ArrivalAnalyzer::chainDatagrams() const noexcept {
  long total = 0;
  for (int i = 0; i < chainLength_; ++i) total += chain_[i].datagrams;
  return total;
}

// Takes back the latest declarations until at most `keep` datagrams stay declared: the line
// moves back, and with it what the floor learnt on the moved line.
ArrivalAnalyzer::Verdict ArrivalAnalyzer::takeBackEarlyLosses(long keep) noexcept {
  Verdict v;
  v.gapTakenBack = true;
  long back = 0;
  while (chainLength_ > 0 && chainDatagrams() > keep) {
    const EarlyGap& g = chain_[--chainLength_];
    back += g.datagrams;
    ++v.gapsTakenBack;
    if (g.noted) {
      for (double& m : bucketMin_) m += static_cast<double>(g.datagrams) * datagramSeconds_;
    }
    // (This one is measured after the change; a gap seen when a burst ended was declared
    // before datagrams counted later: the earliest one decides.)
    v.datagramsSinceStep = std::max(v.datagramsSinceStep, static_cast<int>(datagrams_ - g.declaredAt));
  }
  moveLine(-static_cast<double>(back) * datagramSeconds_);
  lostDatagrams_ -= static_cast<uint64_t>(back);
  // The shift above also raised what the floor learnt before the first declaration: the floor
  // stays no higher than it was then (on the line now, with what is still declared, a stream
  // whose remaining declarations are real comes there), or a real loss among the declarations
  // taken back would read as the floor itself and never be judged.
  if (back > 0) bucketMin_[bucket_] = std::min(bucketMin_[bucket_], suspectFloor_);
  v.shiftBytes = -back * static_cast<int64_t>(protocol::kPayloadBytes);
  return v;
}

// The floor keeps learning meanwhile (a stream that repeats itself, digital silence or a tone of
// a datagram's period, is judged all the time); what tells is a residual below the floor as it
// was when the identical datagram came.
ArrivalAnalyzer::Verdict ArrivalAnalyzer::judgeDuplicate(double residual, double f, double t) noexcept {
  const double p = datagramSeconds_;
  ++suspectDatagrams_;
  if (residual < suspectFloor_ - 0.5 * p) {
    // Earlier than the stream allows: the identical datagram was the same one again. Move the
    // line back, and what the floor learnt since with it.
    state_ = State::kSteady;
    moveLine(-p);
    ++duplicates_;
    for (double& m : bucketMin_) m += p;
    noteSteady(residual + p, f + p, t);
    Verdict v{false, -static_cast<int64_t>(protocol::kPayloadBytes), suspectDatagrams_};
    v.floorDropSeconds = std::max(0.0, suspectFloor_ - f);
    return v;
  }
  if (t - suspectSince_ >= confirmSeconds()) state_ = State::kSteady;  // a legitimate neighbour
  noteSteady(residual, f, t);
  return {};
}

}  // namespace scream::receiver
