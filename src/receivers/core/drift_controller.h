// Drift control on the audio thread: turns the latency error (measured delay - target) into a
// speed correction for the resampler, so the latency holds its target although the sender's clock
// and ours differ and the clock estimate is never exact. The engine consumes input at
// (1 + c) x the estimated sender rate: c > 0 drains the jitter buffer, c < 0 lets it fill.
//
// A PI loop with anti-windup. With R the stream rate, the buffer obeys de/dt = R (d - c) for a
// rate residual d, so the closed loop is s^2 + R kp s + R ki: natural frequency sqrt(R ki), damping
// R kp / (2 sqrt(R ki)). The defaults (48 kHz) give 0.2 rad/s, critically damped: a rate step of d
// is absorbed with a peak error of R d / (0.2 e) (about 2 frames for a 30 ppm residual), and
// noise in the measured delay barely reaches the pitch.
//   - |c| <= steadyClampPpm normally (inaudible pitch change); only while |error| is above
//     catchUpThresholdFrames may it go up to catchUpClamp, until the error is back under half the
//     threshold (hysteresis, so the clamp does not chatter at the edge), with a stiffer
//     proportional gain (catchUpGain) so the excess goes in seconds.
//   - The integral only runs while the output is not saturated (or the error pulls it back out of
//     saturation), never during catch-up (a latency excess is not a rate), and is itself bounded
//     by the steady clamp: it cannot wind up.
#pragma once

namespace scream::receiver {

class DriftController {
 public:
  struct Config {
    double kp = 0.4 / 48000.0;   // speed fraction per frame of error (1 frame -> 8.3 ppm)
    double ki = 0.04 / 48000.0;  // speed fraction per frame of error per second
    double steadyClampPpm = 1000;
    double catchUpClamp = 0.02;           // speed fraction (2 %)
    double catchUpThresholdFrames = 480;  // 10 ms at 48 kHz
    // kp is multiplied by this while catching up: 2 % down to 1200 frames, then a 1.25 s time
    // constant, so 100 ms of excess is gone in ~5 s; leaving catch-up at 240 frames then steps
    // the speed by only 0.3 % (2 kp x 240 = 0.4 % -> the 0.1 % clamp), which the resampler glides
    // over.
    double catchUpGain = 2.0;
    double errorSmoothingSeconds = 0;  // one-pole low-pass on the error; 0: the caller smooths

    // The defaults above scaled to another stream rate: same loop dynamics, same thresholds in
    // time (frames of error mean less time at higher rates).
    static Config forRate(double sampleRate);
  };

  DriftController() = default;
  explicit DriftController(const Config& config) : config_(config) {}

  void setConfig(const Config& config) { config_ = config; }
  const Config& config() const { return config_; }

  // Forgets the integral, the smoothing and catch-up. Real-time safe, but meant for stream starts.
  void reset() noexcept;

  // delayErrorFrames = measured delay - target, in stream frames (positive: too much latency).
  // dtSeconds: time since the previous update. Returns the speed correction c.
  double update(double delayErrorFrames, double dtSeconds) noexcept;

  double integral() const { return integral_; }

  // Bumpless transfer: when the feed-forward rate the correction multiplies changes by a factor
  // (1 + delta), move the same amount out of the integral so the total speed does not jump.
  void shiftIntegral(double delta) noexcept;
  bool catchingUp() const { return catchingUp_; }

 private:
  Config config_;
  double integral_ = 0;
  double smoothed_ = 0;
  bool primed_ = false;  // smoothed_ holds a value
  bool catchingUp_ = false;
};

}  // namespace scream::receiver
