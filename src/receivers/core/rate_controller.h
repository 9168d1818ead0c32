// Clock following, on the audio thread: the one place where the sender's clock is followed
// against the device's. Input: the latency error (arrival-to-play latency measured by the
// engine minus the target), which compares the two clocks directly. Output: the resampler's
// speed, 1 + c, with c > 0 draining the jitter buffer.
//
// A PI loop. With d the rate mismatch, the error obeys de/dt = d - c, so the closed loop is
// s^2 + kp s + ki, with kp = 2 zeta w and ki = w^2 (critically damped, zeta = 1).
//   - Gear shifting, as a PLL does: w starts wide (startOmega: a 1000 ppm mismatch is taken up
//     within a few seconds, peak error d / (w e) = 1.2 ms) and narrows to finalOmega between
//     gearStart and gearEnd seconds (counted while the loop holds its target), where jitter in
//     the measurement barely reaches the pitch.
//   - The error is low-passed (errorSmoothingSeconds) against the sender's bursts and jitter.
//   - |c| <= limitPpm: no real clock is further off, so anything beyond is not drift (a lost or
//     duplicated datagram, a stall) and is the LevelCorrector's to fix, in time, not in pitch.
//     For the same reason the error is clamped to +-errorClampSeconds, and the integral (the
//     learned clock offset) stands still while the error is beyond.
//   - c moves at most a slew rate that narrows with the loop (3.5 cents per second at the widest):
//     a pitch change stays slow enough not to be heard, and noise cannot make it flutter.
#pragma once

namespace scream::receiver {

class RateController {
 public:
  struct Config {
    double startOmega = 0.3;   // rad/s
    double finalOmega = 0.08;  // rad/s
    double gearStartSeconds = 3;   // counted only while |error| < settledSeconds
    double gearEndSeconds = 10;
    double settledSeconds = 0.0007;
    double errorSmoothingSeconds = 1.0;
    double limitPpm = 2000;
    double startSlewPpmPerSecond = 2000;  // while wide: a 1000 ppm offset is reached in 0.5 s
    double finalSlewPpmPerSecond = 500;
    double errorClampSeconds = 0.004;
  };

  RateController() = default;
  explicit RateController(const Config& config) : config_(config) {}

  // Forgets everything: speed 1, wide loop.
  void reset() noexcept;
  // errorSeconds = measured latency - target; dtSeconds since the last update. Returns c.
  double update(double errorSeconds, double dtSeconds) noexcept;

  double correction() const { return output_; }
  double integral() const { return integral_; }
  double omega() const;  // the loop's natural frequency now
  double slewPerSecond() const;  // the most c may move in a second now
  void setErrorClamp(double seconds) noexcept { config_.errorClampSeconds = seconds; }
  const Config& config() const { return config_; }

 private:
  Config config_;
  double gear() const;  // 0 wide .. 1 narrow
  double elapsed_ = 0;
  double smoothed_ = 0;
  bool primed_ = false;
  double integral_ = 0;
  double output_ = 0;
};

}  // namespace scream::receiver
