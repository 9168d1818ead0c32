#include "period_ops.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace scream::receiver {

namespace {

// Sum of the channels of frame f: the pitch search looks at one signal, whatever the layout.
inline double mix(const float* x, size_t f, unsigned channels) noexcept {
  double s = 0;
  for (unsigned c = 0; c < channels; ++c) s += x[f * channels + c];
  return s;
}

// Best lag of `score` over [minLag, maxLag]: every coarseStep-th lag scored coarsely, then the
// neighbours of the coarse winner at full resolution.
// Every lag in [minLag, maxLag] is scored on every `coarseStep`-th frame (a coarse grid of lags
// would step over the best one: a 997 Hz tone matches well at 337 frames, badly at 336 and 339),
// then the winner is scored again at full resolution with its neighbours. With a preferred lag,
// the winner is the lag nearest to it among those that match about as well as the best (a
// steady tone matches at every multiple of its period): whose mismatch 1 - c is at most twice
// the best one's. Relative, because on a pure tone a phase error of 3 degrees (c = 0.9984 where
// the best lag has 0.99999) is already audible as a seam, while music rarely matches above 0.9.
// (1e-4 on top: a phase error under a degree, below what the ear or the glitch detector finds.)
bool aboutAsGood(double c, double top) { return 1.0 - c <= 2.0 * (1.0 - top) + 1e-4; }

template <class Score>
PeriodMatch search(size_t minLag, size_t maxLag, size_t coarseStep, const LagPreference& want,
                   Score score) noexcept {
  if (maxLag < minLag) return {};
  const size_t step = std::max<size_t>(1, coarseStep);
  double top = -2.0;
  for (size_t lag = minLag; lag <= maxLag; ++lag) top = std::max(top, score(lag, step));
  PeriodMatch best{0, -2.0};
  size_t bestDistance = SIZE_MAX;
  const size_t limit = want.limit ? std::min(want.limit, maxLag) : maxLag;
  for (size_t lag = minLag; lag <= limit; ++lag) {
    const double c = score(lag, step);
    if (want.lag == 0) {
      if (c > best.correlation) best = {lag, c};
      continue;
    }
    const size_t distance = lag > want.lag ? lag - want.lag : want.lag - lag;
    if (aboutAsGood(c, top) && distance < bestDistance) {
      best = {lag, c};
      bestDistance = distance;
    }
  }
  if (best.lag == 0) return {};  // nothing within the limit splices as well as the signal allows
  if (step > 1) {
    const size_t from = best.lag > minLag + 2 ? best.lag - 2 : minLag;
    const size_t to = std::min(limit, best.lag + 2);
    best.correlation = -2.0;
    for (size_t lag = from; lag <= to; ++lag) {
      const double c = score(lag, 1);
      if (c > best.correlation) best = {lag, c};
    }
  }
  return best;
}

}  // namespace

double normalizedCorrelation(const float* a, const float* b, size_t window, unsigned channels,
                             size_t step) noexcept {
  double ab = 0, aa = 0, bb = 0;
  step = std::max<size_t>(1, step);
  for (size_t f = 0; f < window; f += step) {
    const double x = mix(a, f, channels), y = mix(b, f, channels);
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  const double norm = std::sqrt(aa * bb);
  return norm > 1e-12 ? ab / norm : 0.0;
}

PeriodMatch findPeriodBefore(const float* x, size_t frames, unsigned channels, size_t minLag,
                             size_t maxLag, size_t window, size_t coarseStep,
                             const LagPreference& want) noexcept {
  if (frames < window + minLag) return {};
  maxLag = std::min(maxLag, frames - window);
  const float* last = x + (frames - window) * channels;
  return search(minLag, maxLag, coarseStep, want, [&](size_t lag, size_t step) {
    return normalizedCorrelation(last, last - lag * channels, window, channels, step);
  });
}

PeriodMatch findPeriodAfter(const float* x, unsigned channels, size_t minLag, size_t maxLag,
                            size_t window, size_t coarseStep, const LagPreference& want) noexcept {
  return search(minLag, maxLag, coarseStep, want, [&](size_t lag, size_t step) {
    return normalizedCorrelation(x, x + lag * channels, window, channels, step);
  });
}

float raisedCosine(double x) noexcept {
  if (x <= 0) return 0.0f;
  if (x >= 1) return 1.0f;
  return static_cast<float>(0.5 - 0.5 * std::cos(M_PI * x));
}

void crossfade(const float* a, const float* b, float* out, size_t frames, unsigned channels) noexcept {
  for (size_t f = 0; f < frames; ++f) {
    const float w = raisedCosine((static_cast<double>(f) + 0.5) / static_cast<double>(frames));
    for (unsigned c = 0; c < channels; ++c) {
      const size_t i = f * channels + c;
      out[i] = a[i] * (1.0f - w) + b[i] * w;
    }
  }
}

}  // namespace scream::receiver
