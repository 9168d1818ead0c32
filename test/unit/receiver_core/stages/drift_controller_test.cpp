#include "receivers/core/drift_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace scream::receiver {
namespace {

constexpr double kRate = 48000;
constexpr double kPeriod = 0.005;    // the engine updates once per 240-frame device period
constexpr double kTwoMsFrames = 96;  // the +-2 ms latency budget at 48 kHz

// A jitter buffer fed at (1 + senderPpm) x nominal and drained at (1 + estimatePpm)(1 + c) x
// nominal. The measured delay carries +-10 ms of uniform noise (bursty arrivals), which the
// controller smooths over 0.3 s as the engine does.
struct Loop {
  double senderPpm = 0;
  double estimatePpm = 0;
  double initialErrorFrames = 0;
  double noiseFrames = 480;
  uint32_t seed = 1;
};

struct Trace {
  std::vector<double> errors;  // true error after every update
  std::vector<double> outputs;

  // Largest |error| over [from, to) seconds.
  double worst(double from, double to) const {
    double w = 0;
    for (size_t i = static_cast<size_t>(from / kPeriod); i < static_cast<size_t>(to / kPeriod);
         ++i) {
      w = std::max(w, std::fabs(errors[i]));
    }
    return w;
  }
  // First time |error| <= bound, or -1.
  double firstWithin(double bound) const {
    for (size_t i = 0; i < errors.size(); ++i) {
      if (std::fabs(errors[i]) <= bound) return static_cast<double>(i + 1) * kPeriod;
    }
    return -1;
  }
};

Trace simulate(DriftController& controller, const Loop& loop, double seconds) {
  Trace trace;
  std::mt19937_64 rng(loop.seed);
  std::uniform_real_distribution<double> noise(-loop.noiseFrames, loop.noiseFrames);
  double error = loop.initialErrorFrames;
  const auto steps = static_cast<size_t>(seconds / kPeriod);
  for (size_t i = 0; i < steps; ++i) {
    const double c = controller.update(error + noise(rng), kPeriod);
    const double in = kRate * (1 + loop.senderPpm * 1e-6) * kPeriod;
    const double out = kRate * (1 + loop.estimatePpm * 1e-6) * (1 + c) * kPeriod;
    error += in - out;
    trace.errors.push_back(error);
    trace.outputs.push_back(c);
  }
  return trace;
}

DriftController::Config engineLike() {
  DriftController::Config config;
  config.errorSmoothingSeconds = 0.3;
  return config;
}

TEST(DriftController, HoldsLatencyWithTheClockEstimatorsResidual) {
  for (double sender : {1000.0, -1000.0}) {
    for (double residual : {30.0, -30.0}) {
      DriftController controller(engineLike());
      const Trace sim = simulate(
          controller, {.senderPpm = sender, .estimatePpm = sender - residual, .seed = 3}, 180);
      EXPECT_LT(sim.worst(10, 180), kTwoMsFrames) << sender << " " << residual;
      // No oscillation growth: the last minute is no worse than the one before.
      EXPECT_LE(sim.worst(120, 180), sim.worst(60, 120) * 1.5 + 5);
      // The integral has learned the residual.
      EXPECT_NEAR(controller.integral(), residual * 1e-6, 10e-6);
    }
  }
}

TEST(DriftController, AloneAbsorbsAThousandPpmSender) {
  // Without a clock estimate the integral has to carry the whole offset. The steady clamp must
  // then exceed it: at exactly 1000 ppm the buffer could never drain back after the first push.
  for (double sender : {1000.0, -1000.0}) {
    DriftController::Config config = engineLike();
    config.steadyClampPpm = 1500;
    DriftController controller(config);
    const Trace sim = simulate(controller, {.senderPpm = sender, .seed = 4}, 180);
    EXPECT_LT(sim.worst(30, 180), kTwoMsFrames) << sender;
    EXPECT_LE(sim.worst(120, 180), sim.worst(60, 120) * 1.5 + 5);
    EXPECT_NEAR(controller.integral(), sender * 1e-6, 30e-6);
    for (double c : sim.outputs) ASSERT_LE(std::fabs(c), 1500e-6 + 1e-12);
  }
}

TEST(DriftController, CatchesUpFrom100msExcessWithoutOvershoot) {
  for (double sign : {1.0, -1.0}) {
    DriftController controller(engineLike());
    const Trace sim = simulate(controller, {.initialErrorFrames = sign * 4800, .seed = 5}, 40);
    EXPECT_DOUBLE_EQ(sim.outputs[0], sign * 0.02);  // full catch-up speed at once
    // 2 % drains 960 frames/s: 4320 frames to the 480-frame threshold take 4.5 s at best.
    const double belowThreshold = sim.firstWithin(480);
    EXPECT_GT(belowThreshold, 4.5);
    EXPECT_LT(belowThreshold, 5.5);
    const double settled = sim.firstWithin(kTwoMsFrames);
    EXPECT_GT(settled, 0);
    EXPECT_LT(settled, 20.0);
    // Nothing wound up during catch-up, so it does not swing through the target.
    for (double e : sim.errors) ASSERT_GT(e * sign, -kTwoMsFrames);
    EXPECT_LT(sim.worst(settled + 1, 40), kTwoMsFrames);
  }
}

TEST(DriftController, ClampsToSteadyRangeBelowTheCatchUpThreshold) {
  DriftController controller;  // no smoothing: the raw error decides
  const DriftController::Config& config = controller.config();
  EXPECT_DOUBLE_EQ(controller.update(400, kPeriod), 1000e-6);  // 400 frames -> 3333 ppm, clamped
  EXPECT_FALSE(controller.catchingUp());
  EXPECT_DOUBLE_EQ(controller.update(-400, kPeriod), -1000e-6);
  // Above the threshold: stiffer proportional action, up to 2 %.
  EXPECT_NEAR(controller.update(500, kPeriod), config.catchUpGain * config.kp * 500, 1e-9);
  EXPECT_TRUE(controller.catchingUp());
  EXPECT_DOUBLE_EQ(controller.update(5000, kPeriod), 0.02);
  // Hysteresis: catch-up holds until the error is under half the threshold.
  EXPECT_NEAR(controller.update(300, kPeriod), config.catchUpGain * config.kp * 300, 1e-9);
  EXPECT_TRUE(controller.catchingUp());
  EXPECT_LE(std::fabs(controller.update(200, kPeriod)), 1000e-6);
  EXPECT_FALSE(controller.catchingUp());
  EXPECT_DOUBLE_EQ(controller.update(-5000, kPeriod), -0.02);
}

TEST(DriftController, ProportionalGainIsPerFrameOfError) {
  DriftController controller;
  // dt = 0: nothing integrates, only kp * error remains.
  EXPECT_NEAR(controller.update(12, 0), 12 * 0.4 / 48000.0, 1e-12);
  EXPECT_NEAR(controller.update(-12, 0), -12 * 0.4 / 48000.0, 1e-12);
  EXPECT_EQ(controller.integral(), 0);
}

TEST(DriftController, SaturationDoesNotWindUpAndRecoversAtOnce) {
  DriftController controller;
  // 10 s pinned at the steady clamp (kp * 300 = 2500 ppm > 1000 ppm)...
  for (int i = 0; i < 2000; ++i) ASSERT_DOUBLE_EQ(controller.update(300, kPeriod), 1000e-6);
  // ... and 10 s of catch-up.
  for (int i = 0; i < 2000; ++i) ASSERT_DOUBLE_EQ(controller.update(-8000, kPeriod), -0.02);
  // A naive PI would have integrated 300 frames x 10 s into its full 1000 ppm; this one did not.
  EXPECT_EQ(controller.integral(), 0);
  EXPECT_DOUBLE_EQ(controller.update(0, kPeriod), 0);
  // Out of saturation the integral moves again.
  for (int i = 0; i < 200; ++i) controller.update(50, kPeriod);
  EXPECT_GT(controller.integral(), 0);
}

TEST(DriftController, IntegralIsBoundedByTheSteadyClamp) {
  DriftController::Config config;
  config.kp = 0;  // only the integral acts, so the output never saturates first
  DriftController controller(config);
  for (int i = 0; i < 100000; ++i) controller.update(100, kPeriod);
  EXPECT_DOUBLE_EQ(controller.integral(), 1000e-6);
}

TEST(DriftController, ResetForgetsTheIntegralAndCatchUp) {
  DriftController controller;
  for (int i = 0; i < 1000; ++i) controller.update(20, kPeriod);
  controller.update(5000, kPeriod);
  ASSERT_NE(controller.integral(), 0);
  ASSERT_TRUE(controller.catchingUp());
  controller.reset();
  EXPECT_EQ(controller.integral(), 0);
  EXPECT_FALSE(controller.catchingUp());
  EXPECT_EQ(controller.update(0, kPeriod), 0);
}

TEST(DriftController, IgnoresNonFiniteInput) {
  DriftController controller;
  EXPECT_EQ(controller.update(NAN, kPeriod), 0);
  EXPECT_EQ(controller.update(INFINITY, kPeriod), 0);
  EXPECT_EQ(controller.update(10, NAN), controller.config().kp * 10);
  EXPECT_EQ(controller.integral(), 0);
}

TEST(DriftController, ForRateKeepsTheLoopDynamicsAtOtherRates) {
  const auto config = DriftController::Config::forRate(96000);
  EXPECT_DOUBLE_EQ(config.kp, 0.2 / 48000.0);
  EXPECT_DOUBLE_EQ(config.catchUpThresholdFrames, 960);
  // Closed loop at 96 kHz: same settling as 48 kHz, in time.
  DriftController::Config smoothed = config;
  smoothed.errorSmoothingSeconds = 0.3;
  DriftController controller(smoothed);
  double error = 9600;  // 100 ms
  double settledAt = -1;
  for (int i = 0; i < 8000; ++i) {
    const double c = controller.update(error, kPeriod);
    error += 96000 * (30e-6 - c) * kPeriod;
    if (settledAt < 0 && std::fabs(error) < 192) settledAt = i * kPeriod;
  }
  EXPECT_GT(settledAt, 0);
  EXPECT_LT(settledAt, 20);
  EXPECT_LT(std::fabs(error), 192);
}

}  // namespace
}  // namespace scream::receiver
