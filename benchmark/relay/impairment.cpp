#include "impairment.h"

#include <algorithm>

namespace scream::bench {

namespace {
int64_t msToNs(double ms) { return static_cast<int64_t>(ms * 1e6); }
}  // namespace

Impairment::Impairment(const ImpairmentConfig& config) : config_(config), random_(config.seed) {}

bool Impairment::chance(double pct) {
  // Always draw, so that the sequence of draws per datagram does not depend on earlier fates.
  const double u = std::uniform_real_distribution<double>(0.0, 100.0)(random_);
  return u < pct;
}

double Impairment::uniformMs(double maxMs) {
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  return u * maxMs;
}

int64_t Impairment::afterStall(int64_t ns) {
  if (config_.stallMs <= 0 || config_.stallEveryMs <= 0) return ns;
  const int64_t period = msToNs(config_.stallEveryMs);
  const int64_t since = ns - firstNs_;
  const int64_t phase = since % period;
  const int64_t stallStart = period - msToNs(config_.stallMs);  // the stall ends each period
  if (phase < stallStart) return ns;
  ++counts_.stalled;
  return ns - phase + period;
}

std::vector<Departure> Impairment::decide(int64_t arrivalNs) {
  if (firstNs_ < 0) firstNs_ = arrivalNs;
  ++counts_.received;
  // Fixed draw order: loss, burst loss, jitter, burst-jitter start, burst jitter, reorder, dup.
  const bool lost = chance(config_.lossPct);
  const bool lossBurstStarts = chance(config_.burstLossPct);
  const double jitter = uniformMs(config_.jitterMs);
  const bool jitterBurstStarts = chance(config_.burstJitterPct);
  const double burstJitter = uniformMs(config_.burstJitterMs);
  const bool reorder = chance(config_.reorderPct);
  const bool duplicate = chance(config_.duplicatePct);

  if (lossBurstLeft_ == 0 && lossBurstStarts) lossBurstLeft_ = config_.burstLossLength;
  const bool inLossBurst = lossBurstLeft_ > 0;
  if (inLossBurst) --lossBurstLeft_;
  if (jitterBurstLeft_ == 0 && jitterBurstStarts) jitterBurstLeft_ = config_.burstJitterLength;
  const bool inJitterBurst = jitterBurstLeft_ > 0;
  if (inJitterBurst) --jitterBurstLeft_;

  if (lost || inLossBurst) {
    ++counts_.dropped;
    return {};
  }
  int64_t at = arrivalNs + msToNs(jitter + (inJitterBurst ? burstJitter : 0.0));
  if (reorder) {
    ++counts_.reordered;
    at += msToNs(config_.reorderMs);  // later in-order datagrams do not wait for this one
  } else {
    at = std::max(at, lastInOrderNs_);
  }
  at = afterStall(at);
  if (!reorder) lastInOrderNs_ = at;
  std::vector<Departure> out{{at, false}};
  if (duplicate) {
    ++counts_.duplicated;
    out.push_back({at + msToNs(1), true});
  }
  return out;
}

}  // namespace scream::bench
