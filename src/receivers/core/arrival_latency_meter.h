// The latency meter, on the network thread: how long each packet's frames will wait until they
// play, from when the packet would have come on time, smoothed over about 0.3 s of packets; and
// how late datagrams come (LatenessMeter), which the ring must bridge.
//
// Measuring each packet's own frames against when the audio thread says they will play does not
// depend on where the sender's bursts fall between renders (sampling the ring fill at render time
// would: a bias of several ms). Frames are placed on the sender's timeline, lost datagrams
// included, which is what the audio thread plays. A loss not yet declared places frames early
// and makes them late by as much on the arrival analysis' line: the two cancel, and a
// declaration needs no correction. Where they do not cancel (a duplicate found late, by how far
// the floor fell meanwhile), shift() takes the error of the packets measured since back out.
#pragma once

#include <cstddef>
#include <array>
#include <cstdint>

namespace scream::receiver {

class ArrivalLatencyMeter {
 public:
  explicit ArrivalLatencyMeter(double smoothingSeconds) : smoothingSeconds_(smoothingSeconds) {}

  // Frames [firstIndex, firstIndex + frames) of the sender's timeline arrived at arrivalNs,
  // lateSeconds later than the floor of arrivals (ArrivalAnalyzer::lateSeconds); the audio thread
  // plays timeline frame 0 at originNs, `rate` frames a second (NaN: silent, the meter starts
  // over). Returns the smoothed latency in seconds, NaN while unknown.
  //
  // Each packet is measured from when it would have come on time (on the floor): the figure is
  // the sender's timeline against the device's, what a frame waits from the moment the sender
  // could have delivered it at best until it plays. Jitter, the sender's bursts, a stall, or a
  // loss still being judged do not move it; only the clocks and the timeline do. (Averaging the
  // raw arrival-to-play figure, 300 ms of packets 0-40 ms late read as the level falling by
  // ~20 ms: periods inserted, then cut when the burst ended.) End to end, a frame in the middle
  // of a datagram plays this long after the sender produced it, plus half a datagram, plus the
  // least the sender and the network took to deliver a datagram after its last frame.
  double measure(int64_t arrivalNs, double firstIndex, size_t frames, double originNs, double rate,
                 double lateSeconds = 0) noexcept;
  // The timeline moved by shiftFrames after `packets` packets of framesPerPacket were measured
  // on the old one. Returns the corrected figure (NaN while unknown).
  double shift(double shiftFrames, int packets, double framesPerPacket, double rate) noexcept;
  double latencySeconds() const;  // NaN while unknown

 private:
  const double smoothingSeconds_;
  double smoothed_ = -1;
};

// What the ring must bridge beyond the device: how late datagrams come against the floor of
// arrivals (ArrivalAnalyzer::lateSeconds), the sender's bursts and the network's jitter in one
// figure. The longest gap between arrivals, used before, counted a datagram too many (a datagram
// after a 10 ms gap from a 5 ms timer came 4 ms late: 42 ms end to end in the clean benchmark
// against 37 possible) and knew nothing of jitter (the target found 20 ms of it by underruns and
// near misses, 3-5 ms at a time, each a glitch or a cut).
//
// Each 2 s the rank-th latest datagram of the period, the rank being ~48 ms of datagrams (8 at
// 48 kHz/16 bit/stereo, at most 32): the few latest are a stall's (the sender and the network
// held up for 30 ms make 5-6 datagrams late), which an underrun answers, not the target; but
// where the latest recur, the third latest of the last 4 periods' latest. Datagrams more than
// kMaxSeconds late are not counted at all: a stall that long is an underrun's business (counted,
// one 300 ms stall would have held the target near 220 ms for minutes). A rise of more than
// 2 ms is taken at once (within the period, as soon as rank datagrams were that late);
// otherwise it follows a quarter of the way per period, at most 0.5 ms either way (where this
// sets the target, a figure falling faster than the rate controller drains had the level
// corrector cut a period per sender hiccup, and each small rise had it insert one). In the
// first period, before a rank means anything, the latest so far.
// While a loss is being judged every datagram reads a datagram late: their lateness is held
// aside until the judgement, then counted less what was declared lost.
//
// A loss is not lateness, but the ring must bridge it too, on top of the lateness of the datagram
// after it (which shows it: concealed in place then, before playback gets there; found later,
// the ring does not run dry meanwhile and the concealment is inserted when it is declared): the
// longest loss declared lately is added, without the rank (one loss is enough), capped at
// kMaxLossSeconds (longer is left to underruns), falling the same slow way. A clean network pays
// nothing for it. The first loss in a while is concealed where the ring ran dry instead
// (simulation, a sender pacing every datagram: one underrun, 15 ms of glitch, against 395 ms
// without control). Starting with one datagram bridged instead held the latency up for the ~40 s
// it took to fall away, all of it spent off target.
class LatenessMeter {
 public:
  static constexpr size_t kMaxRank = 32;
  static constexpr double kMinSeconds = 0.001;
  static constexpr double kMaxSeconds = 0.05;
  static constexpr double kMaxLossSeconds = 0.025;
  static constexpr size_t kRecurPeriods = 4;

  // datagramSeconds: how long one datagram plays (sets the rank).
  explicit LatenessMeter(double datagramSeconds = 0.006) noexcept;

  // Every datagram on the line, lateSeconds after the floor; `judging` while a loss is suspected.
  // declaredSeconds: a loss declared with this datagram, before it or earlier (the datagrams
  // held aside read that much late). Returns the figure in seconds.
  double onDatagram(int64_t arrivalNs, double lateSeconds, bool judging, double declaredSeconds) noexcept;
  // The arrival analysis started over (the sender resumed, or a new bit depth): what was held
  // aside will never be judged.
  void forgetHeld() noexcept;
  size_t rank() const noexcept { return rank_; }
  // A new format from the same sender without a pause: what was learnt carries over (the rank
  // stays this stream's), but not what was held aside.
  void carryOver(const LatenessMeter& from) noexcept {
    const size_t rank = rank_;
    *this = from;
    rank_ = rank;
    forgetHeld();
  }

 private:
  using Top = std::array<double, kMaxRank>;  // ascending; unused places hold -inf
  static void keep(Top& top, double late) noexcept;
  double rankedLate() const noexcept;  // the rank-th latest of the period (-inf until rank)
  double figure() const noexcept;      // what onDatagram returns

  size_t rank_;
  Top period_{}, heldAside_{};
  size_t periodCount_ = 0;
  double periodMax_ = 0;
  bool holding_ = false;
  bool settled_ = false;  // a first period has been measured
  double seconds_ = -1;
  double lossSeconds_ = 0, periodLoss_ = 0;
  std::array<double, kRecurPeriods> recentMax_{};  // the latest of the last periods
  size_t recentCount_ = 0;
  int64_t epochNs_ = 0;
};

}  // namespace scream::receiver
