// Lost and duplicated datagrams, seen at arrival on the network thread, without sequence
// numbers (Scream has none).
//
// Each datagram's residual r = arrival time - when the stream position at its end was due, on
// a line at the sender's rate. A sender's timer sends all it has every few ms, so a steady
// stream keeps r within a narrow band (about one or two datagrams' duration P) above a floor,
// the lower envelope of recent residuals; network jitter widens the band.
//   - Loss: every later residual moves up by k P: a step. Once the residuals have stayed above
//     floor + P/2 for `confirm` seconds (3 x the longest gap jitter has shown between visits to
//     the floor lately), no wider spread than the band has shown (jitter bursts are wide), and
//     the step is within kStepTolerance of k datagrams, k datagrams are declared lost and the
//     line moves on by k P: the timeline (and the latency the engine measures on it) stays
//     where it was, and the engine inserts k datagrams of concealment. Unless the audio went on
//     seamlessly across every datagram boundary since the last datagram on the floor (a tone
//     held up by a burst of jitter): then nothing audible is missing, it was lateness.
//   - Duplicate: byte-identical to the datagram before it, while the two before that differed
//     (the signal does not repeat at a datagram's length): provisional, whenever it came; if the
//     next datagram differs it was a repeat, and the engine skips it before it plays.
//     Byte-identical in a repeating signal AND at least P/2 earlier than the floor allows:
//     dropped at once too. An identical datagram that is not provably early (a
//     legitimate neighbour of a periodic signal or of digital silence looks the same for a
//     moment) is a candidate: if residuals below floor - P/2 follow within `confirm`, it was a
//     duplicate after all; the line moves back by P and the engine cuts one datagram's worth.
//     Byte equality alone proves nothing (a 1 kHz tone at 48 kHz repeats every datagram).
//   - Loss seen at once: where the band is narrower than a datagram (a sender pacing each
//     datagram on a quiet network), a residual beyond it by k datagrams is k lost right before
//     it: declared at once, concealed in place; taken back (mostly by the very next datagram,
//     before the concealment plays) if the stream comes back early: it was only late. Where the
//     audio goes on seamlessly across the datagram (signal_continuity.h: a tone), nothing
//     audible is missing there whatever the timing says: nothing is declared at once (a tone
//     periodic in a datagram's length, or near-silence, that did lose one is found by the slow
//     path; before it runs, in the first 2 s, the timing alone decides).
// While a loss is being judged, its residuals are kept out of the floor. Losses seen at once
// are looked for after 1 s of learning the band, everything else after 2 s (the jitter's
// statistics); datagrams shorter than 1.5 ms (high rates, many channels) drown in jitter, so
// timing detection is off for them (repeats by content still work where frames are whole).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocol/header.h"

namespace scream::receiver {

class ArrivalAnalyzer {
 public:
  struct Verdict {
    bool duplicate = false;  // drop this datagram
    // Whole datagrams' bytes the stream position moved: > 0 declared lost before this
    // datagram (insert that much), < 0 a duplicate already played or a loss seen at once taken
    // back (cut that much, unless its concealment can still be called off).
    int64_t shiftBytes = 0;
    // Datagrams measured on the old line since the step began.
    int datagramsSinceStep = 0;
    // The same bytes as the datagram before, in a signal that does not repeat itself: play it,
    // but off the line; the next verdict says whether it was a repeat.
    bool provisional = false;
    // The provisional datagram before this one was a repeat: take it out before it plays.
    bool previousWasRepeat = false;
    // The provisional datagram before this one was real (the signal repeats itself).
    bool previousWasReal = false;
    // The datagrams declared lost (shiftBytes > 0) were lost right before this one: conceal
    // them there, before it plays.
    bool gapBeforeThis = false;
    // The latest `gapsTakenBack` declarations are taken back (shiftBytes < 0, their sum): the
    // stream was only late.
    bool gapTakenBack = false;
    int gapsTakenBack = 0;
    // This declaration joins those still watched (gapBeforeThis), rather than replacing them.
    bool chained = false;
    // The gap (gapBeforeThis) is before the datagram this many before this one (0: this one).
    int gapDatagramsBack = 0;
    // A duplicate found late (shiftBytes < 0, not gapTakenBack): how far the floor fell while it
    // was judged (the datagrams after it came a datagram early on the line, and the floor took
    // some in), so the lateness measured since reads that much short (< half a datagram).
    double floorDropSeconds = 0;
  };
  // Declarations at once watched together at most; more, and the stream is being held up.
  static constexpr int kMaxChainedGaps = 4;
  // A gap is placed at most this many datagrams back (gapDatagramsBack): a longer burst that
  // shows a loss is left to the slow path.
  static constexpr int kMaxBurstDatagrams = 6;

  ArrivalAnalyzer();

  // A new stream (format): forgets everything.
  void reset(const protocol::Format& format);
  // The sender resumed after a pause: the line is anchored afresh, the floor forgotten.
  void resync() noexcept;
  // Sender clock / nominal, from the clock estimator, so the line does not tilt under drift.
  void setRateRatio(double ratio) noexcept { ratio_ = ratio; }

  Verdict onDatagram(int64_t arrivalNs, const uint8_t* pcm, size_t bytes) noexcept;

  bool detecting() const { return detecting_; }
  // How much later than the floor the last datagram came (seconds; < 0 below it, 0 while the
  // floor is unknown): its arrival minus this is when it would have come on time. Jitter, a
  // sender's burst, a loss still being judged: all lateness, none of it the clocks.
  double lateSeconds() const { return late_; }
  // How long the stream has been watched since the line was anchored (0 when not).
  double watchedSeconds() const { return watched_; }
  // A loss is suspected and being judged: an underrun now is most likely that loss.
  bool lossSuspected() const { return state_ == State::kLossSuspected; }
  uint64_t lostDatagrams() const { return lostDatagrams_; }
  uint64_t duplicates() const { return duplicates_; }
  double confirmSeconds() const;

  // What the last datagram looked like, for diagnostics (benchmark/tools/arrival_replay).
  struct Trace {
    double t = 0, residual = 0, floor = 0, band = 0;  // seconds
    // Beyond the band, but the audio went on seamlessly from the datagram before: only late.
    bool seamless = false;
  };
  const Trace& lastTrace() const { return trace_; }

 private:
  enum class State : uint8_t { kSteady, kLossSuspected, kDuplicateSuspected, kLossDeclaredEarly };
  static constexpr size_t kBuckets = 4;  // floor = min over kBuckets x kBucketSeconds
  static constexpr double kBucketSeconds = 0.25;

  double floor() const;
  void addToFloor(double residual, double t) noexcept;
  void noteSteady(double residual, double floor, double t) noexcept;
  Verdict judge(int64_t arrivalNs, const uint8_t* pcm, size_t bytes) noexcept;
  long beyondBand(double residual, double floor) const noexcept;
  long datagramsBeyond(double excess, double band) const noexcept;
  bool declareEarly(double residual, double floor, double t, Verdict& v) noexcept;
  bool declareAtOnce(double residual, double floor, double t, Verdict& v) noexcept;
  bool declareAfterBurst(double residual, double floor, double t, Verdict& v) noexcept;
  long lostBeforeBurst(double floor) const noexcept;
  Verdict watchNewGap(long k, int back, double residual, double floor, double t) noexcept;
  void trackBursts(int64_t arrivalNs, double residual, double floor) noexcept;
  int whereInBurst() const noexcept;
  // Channel 0 at a datagram's edges, for whereInBurst and continuesFromPrevious.
  struct Edges {
    static constexpr size_t kTail = 24, kHead = 12;
    std::array<float, kTail> tail{};  // the last frames, oldest first
    std::array<float, kHead> head{};  // the first frames
    bool valid = false;
    double jumpInto(const Edges& next) const noexcept;
  };
  bool continuesFromPrevious(uint64_t datagram) const noexcept;
  bool onlyLate(uint64_t first, double t) noexcept;
  Edges edgesOf(const uint8_t* pcm, size_t bytes) const noexcept;
  void moveLine(double seconds) noexcept;
  Verdict watchEarlyLoss(double residual, double floor, double t) noexcept;
  void noteDeclaring(double floor) noexcept;
  void markChainNoted() noexcept;
  long chainDatagrams() const noexcept;
  Verdict takeBackEarlyLosses(long keep) noexcept;
  Verdict judgeLoss(double residual, double floor, double t) noexcept;
  Verdict judgeDuplicate(double residual, double floor, double t) noexcept;

  double bytesPerSecond_ = 0;
  double datagramSeconds_ = 0;  // P
  double ratio_ = 1.0;
  bool detecting_ = false;

  bool anchored_ = false;
  int64_t originNs_ = 0;
  double dueSeconds_ = 0;  // when the stream position at the end of the last datagram was due

  std::array<double, kBuckets> bucketMin_{};
  size_t bucket_ = 0;
  double bucketStart_ = 0;

  // What jitter looks like lately: the longest time between visits to the floor, and the
  // widest residual above it, each the larger of this and the previous 2 s epoch.
  double lastVisit_ = 0;
  double longestGap_ = 0, previousLongestGap_ = 0;
  double widestBand_ = 0, previousWidestBand_ = 0;
  // How wide residuals spread above the floor, without the few widest of each 2 s epoch (a
  // sender that woke up late once or twice): the band a loss seen at once must clear.
  struct TypicalBand {
    std::array<double, 4> widest{};  // this epoch, widest first
    double previous = 0;             // the last epoch's figure
    // Several datagrams as wide together count as often as they were.
    void note(double width, int times = 1) noexcept;
    void nextEpoch() noexcept {
      previous = widest.back();
      widest.fill(0);
    }
    double value() const { return std::max(widest.back(), previous); }
  };
  TypicalBand band_;  // of all residuals
  double epochStart_ = 0;

  State state_ = State::kSteady;
  double suspectSince_ = 0, suspectMin_ = 0, suspectMax_ = 0;
  double suspectFloor_ = 0;  // the floor when a duplicate came under suspicion, or the first
                             // of the losses declared at once that are watched
  double watchSince_ = 0;    // when the first of those was declared
  int suspectDatagrams_ = 0;
  // The step being judged is only lateness if the audio crossed every datagram boundary from
  // this one on seamlessly (0: not judged so); lastBreak_ is the latest that it did not.
  uint64_t suspectFrom_ = 0;
  uint64_t lastBreak_ = 0;
  uint64_t lastLow_ = 0;  // the latest datagram within half a datagram of the floor
  double late_ = 0;       // lateSeconds()
  double watched_ = 0;    // watchedSeconds()
  // Losses declared at once, watched until the stream confirms them, oldest first.
  struct EarlyGap {
    long datagrams = 0;
    uint64_t declaredAt = 0;  // datagrams_ when declared
    bool noted = false;       // the floor has learnt residuals on the line it moved
  };
  std::array<EarlyGap, kMaxChainedGaps> chain_{};
  int chainLength_ = 0;
  double earlyResidual_ = 0;  // the residual that made the latest, on the line before it
  uint64_t datagrams_ = 0;    // datagrams placed on the line so far
  // The sender's bursts (trackBursts): the last residual of each, on the current line.
  struct Bursts {
    int length = 0;  // datagrams in the current burst so far
    double last = 0;  // the residual of its latest datagram
    int64_t lastArrivalNs = 0;
    bool ended = false;  // this datagram began a new burst
    int previousLength = 0;
    double previousLast = 0;  // the last residual of the burst that ended
    TypicalBand band;  // of the last residual of each burst
    int longest = 0, previousLongest = 0;  // datagrams in the longest burst, this epoch and last
    bool undecided = false;  // a loss shown where whereInBurst could not tell, not yet judged
    double epochStart = 0;
  } burst_;
  std::array<Edges, kMaxBurstDatagrams + 2> edges_{};  // of the last datagrams, by datagrams_
  size_t bytesPerSample_ = 0, bytesPerFrame_ = 0;
  bool heldUp_ = false;  // a loss seen at once was taken back as the stream got later still
  // The audio went on seamlessly across a datagram beyond the band: until the stream is back
  // within it, no loss is declared at once (the step, if it was one, is the slow path's; a later
  // boundary, contiguous, is not where anything went missing).
  bool seamlessHold_ = false;

  std::vector<uint8_t> previous_;  // the last datagram's PCM, for the duplicate check
  size_t previousBytes_ = 0;
  int history_ = 0;         // datagrams seen since anchoring, up to 2
  bool repeating_ = false;  // the last datagram was identical to the one before it
  bool provisional_ = false;  // the last datagram was provisional
  bool repeatNow_ = false, realNow_ = false;
  bool wholeFrames_ = true;  // every datagram holds whole frames

  uint64_t lostDatagrams_ = 0, duplicates_ = 0;
  Trace trace_;
};

}  // namespace scream::receiver
