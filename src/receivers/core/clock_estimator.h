// Sender clock estimation on the network thread: from the kernel receive timestamp and frame count
// of every packet, how fast the sender's sample clock runs against ours. The engine multiplies the
// resampler's speed by ratio() so that, once locked, the drift controller only has to correct the
// small residual and the latency it measures stays put.
//
// A second-order delay-locked loop (F. Adriaensen, "Using a DLL to filter time") tracks the local
// time t(F) at which sender frame position F arrives: phase x and period p (seconds per frame):
//   predicted = x + n * p,  e = clamp(arrival - predicted),  x = predicted + b * e,  p += c * e / n
// Arrival jitter here is large and one-sided: the sender's timer sends bursts of 1-3 packets every
// ~10 ms and the network adds its own delay, easily several packet periods. So
//   - the gains start as those of a growing-window least-squares line fit (alpha-beta filter:
//     b = 2(2k-1)/(k(k+1)), c = 6/(k(k+1)) after k packets), the fastest unbiased way to lock, and
//     narrow down to a fixed loop bandwidth (kFinalBandwidthHz, damping kDamping) where they stay;
//   - the phase error fed into the loop is clamped (kErrorClampSeconds), so a stall followed by a
//     backlog burst moves the rate estimate by a few ppm at most;
//   - a whole window (kJumpWindowSeconds) of packets all off by more than the clamp, in the same
//     direction, is a jump (the sender paused or the path changed), not a rate: the rate is
//     restored to what it was a window before and the phase learned afresh.
// locked() turns true once the estimated standard deviation of the rate is below kLockSigma.
#pragma once

#include <cstdint>

namespace scream::receiver {

class ClockEstimator {
 public:
  ClockEstimator() { reset(48000.0); }

  // Not real-time: forgets everything, including the lock. `nominalRate` is the stream's rate.
  void reset(double nominalRate);
  // Keeps the rate estimate and the lock but re-anchors the phase on the next packet: for a
  // stream that resumes after the sender stopped sending for a while.
  void resync() noexcept;

  // Every packet, in arrival order: its receive timestamp (CLOCK_MONOTONIC or CLOCK_REALTIME, as
  // long as it is the same clock throughout) and the whole frames the sender sent up to its end
  // since the last call: those it completed, plus any declared lost before it. Negative (losses
  // declared on an earlier packet taken back, more than this one completed): the rest is carried
  // to the next packets, so every frame taken back is taken back (else each such take-back would
  // leave the sender a few hundred frames ahead: a clock fast by thousands of ppm).
  void onFrames(int64_t arrivalNs, int64_t frames) noexcept;

  bool locked() const { return locked_; }
  // Sender rate / nominal rate, measured against the local clock: 1 + ppm * 1e-6.
  double ratio() const { return nominalPeriod_ / period_; }
  double ppm() const { return (ratio() - 1.0) * 1e6; }
  // Estimated sender rate in frames per local second.
  double senderRate() const { return 1.0 / period_; }
  uint64_t packets() const { return packets_; }
  uint64_t jumps() const { return jumps_; }

 private:
  void closeWindow() noexcept;
  void startReacquiring() noexcept;

  double nominalPeriod_ = 0;  // seconds per frame at the nominal rate
  double period_ = 0;         // estimated seconds per sender frame (p)
  int64_t originNs_ = 0;      // first arrival: keeps the doubles small
  double phase_ = 0;          // x: seconds after origin at which the frames so far were due
  bool started_ = false;
  bool locked_ = false;
  uint64_t packets_ = 0;  // packets fed into the loop since reset (k)
  uint64_t jumps_ = 0;
  double errorVariance_ = 0;  // running mean of e^2, for the lock decision

  // Jump detection: extremes of the unclamped error over the current window.
  double windowFrames_ = 0;
  double windowFill_ = 0;
  double windowMinError_ = 0;
  double windowMaxError_ = 0;
  double periodAtWindowStart_ = 0;
  double periodAtPreviousWindowStart_ = 0;

  // Phase-only learning after a resync or a jump.
  double reacquireLeft_ = 0;  // frames
  uint64_t reacquired_ = 0;   // packets averaged so far

  int64_t carried_ = 0;  // frames taken back not yet subtracted (<= 0)
};

}  // namespace scream::receiver
