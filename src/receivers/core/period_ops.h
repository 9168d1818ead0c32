// Signal operations on pitch periods, the tools the playout uses to change how much audio is
// queued without changing its pitch (WebRTC NetEQ's expand and accelerate are the model):
//   - repeat the last period of what was played, to fill a gap or add latency;
//   - cut one period out of what is about to play, at the offset where the signal matches itself
//     best, blending the seam, to remove latency.
// A period is the lag at which the signal best correlates with itself (2.5-15 ms: voices and
// most music); for a signal with no period (noise) the seam is hidden by the crossfade instead.
// Pure functions on interleaved float frames; no allocation.
#pragma once

#include <cstddef>

namespace scream::receiver {

struct PeriodMatch {
  size_t lag = 0;
  double correlation = 0;  // normalized, -1..1; 0 for silence
};

// Normalized cross-correlation of `window` frames at a and at b (all channels summed to one).
// `step` > 1 looks at every step-th frame only (a coarse search).
double normalizedCorrelation(const float* a, const float* b, size_t window, unsigned channels,
                             size_t step = 1) noexcept;

// Period searches: every lag in [minLag, maxLag] is scored on every coarseStep-th frame, the
// winner refined at full resolution. Without a preferred lag the best correlation wins (lag 0
// only if nothing can be searched). With one, the winner is the lag nearest to it, no longer
// than `limit`, among those that match about as well as the best lag in the whole range (a
// steady tone matches cleanly only at multiples of its period): an insert or cut then comes as
// close to the amount asked as a clean seam allows, and lag 0 says no clean seam is that short.
struct LagPreference {
  size_t lag = 0;    // 0: no preference, the best match
  size_t limit = 0;  // 0: no limit but maxLag
};

// The period to repeat after x[0, frames): the lag at which the last `window` frames best match
// the window frames `lag` earlier. Needs frames >= maxLag + window.
PeriodMatch findPeriodBefore(const float* x, size_t frames, unsigned channels, size_t minLag,
                             size_t maxLag, size_t window, size_t coarseStep,
                             const LagPreference& want = {}) noexcept;

// The period to cut out of x: the lag at which the first `window` frames of x match the window
// frames `lag` later. Needs x to hold maxLag + window frames.
PeriodMatch findPeriodAfter(const float* x, unsigned channels, size_t minLag, size_t maxLag,
                            size_t window, size_t coarseStep, const LagPreference& want = {}) noexcept;

// out[i] = a[i] * (1 - w(i)) + b[i] * w(i) for `frames` frames, w a raised cosine from 0 to 1.
// out may alias a or b.
void crossfade(const float* a, const float* b, float* out, size_t frames, unsigned channels) noexcept;

// Raised-cosine gain from 0 (x <= 0) to 1 (x >= 1): no corner at either end.
float raisedCosine(double x) noexcept;

}  // namespace scream::receiver
