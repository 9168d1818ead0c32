// The decisions, in one place, of when the playout adds or takes away audio in time (NetEQ's
// decision logic in spirit; the signal operations are Playout's):
//   - frames the arrival analysis declared lost are owed: inserted as soon as there are enough
//     of them for a period (or cut, if a declaration overshot and the balance went negative);
//   - a latency error beyond the allowance (what the rate controller is clamped to) is corrected
//     one period at a time, at most one every minIntervalSeconds: a cut for an excess, an insert
//     for a shortfall.
// The engine's latency measurement is smoothed (a time constant of meterSeconds) and sees an
// insert or cut only gradually. The corrector remembers what it did, decaying as the meter
// catches up, and reports the error as if the meter had already seen it, so neither it nor the
// rate controller acts twice on one correction.
#pragma once

#include <cstddef>

namespace scream::receiver {

class LevelCorrector {
 public:
  struct Config {
    double allowanceSeconds = 0.004;
    double minIntervalSeconds = 0.1;
    double meterSeconds = 0.3;
  };
  enum class Action { kNone, kInsert, kCut };
  enum class Reason { kNone, kOwed, kLevel };
  struct Decision {
    Action action = Action::kNone;
    Reason reason = Reason::kNone;
    size_t frames = 0;  // about how many
    size_t limit = 0;   // the longest period worth it (0: any): beyond, the error only flips
  };

  LevelCorrector() = default;
  explicit LevelCorrector(const Config& config) : config_(config) {}

  void reset() noexcept;
  // The measured error corrected for what the meter has not seen yet (seconds, + = too much).
  double effectiveError(double measuredErrorSeconds) const { return measuredErrorSeconds + unseenSeconds_; }
  // Once per block. owedFrames: declared lost minus already inserted for them (negative: too
  // many were inserted). busy: the playout has not carried out the last decision yet.
  // ringLow: the jitter buffer itself is short now. A shortfall in the measurement alone is
  // late arrivals (jitter), which bring their audio when they come: nothing to insert for.
  Decision decide(double nowSeconds, double dtSeconds, double measuredErrorSeconds, double owedFrames,
                  double rate, size_t minPeriodFrames, size_t maxPeriodFrames, bool busy,
                  bool ringLow) noexcept;
  // Once the latency measurement has settled after a fade-in: whatever error the priming left
  // (its level is only as exact as the sender's bursts let it be) is corrected in time at once,
  // down to a millisecond, so the rate controller does not take it for drift.
  Decision correctStart(double nowSeconds, double measuredErrorSeconds, double rate,
                        size_t minPeriodFrames, size_t maxPeriodFrames) noexcept;
  // What the playout did (frames inserted > 0, cut < 0), for a kLevel decision or any other
  // change of level the meter will see late (a period that overshot a loss).
  void onLevelApplied(double frames, double rate) noexcept;

  // The allowance follows how noisy the latency measurement is (the engine measures it).
  void setAllowance(double seconds) noexcept { config_.allowanceSeconds = seconds; }
  const Config& config() const { return config_; }

 private:
  Config config_;
  double unseenSeconds_ = 0;
  double lastActionSeconds_ = -1e9;
};

}  // namespace scream::receiver
