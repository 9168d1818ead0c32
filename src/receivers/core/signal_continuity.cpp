#include "signal_continuity.h"

#include <algorithm>
#include <cmath>

namespace scream::receiver {

namespace {

// Below this the stretch is silence (about -80 dBFS).
constexpr double kSilence = 1e-4;
// The predictor fits the tail when its worst one-step error is this small against the tail's
// peak: a clean oscillation. (A 16-bit sine fits to within 4 quantization steps, 0.12 % of its
// peak at -26 dBFS; a bass note with a treble partial 28 dB below it misses by 0.6 %, music
// and noise by far more.)
constexpr double kCleanFit = 0.002;
// The head continues when it stays this close to the extrapolation (of the tail's peak), or
// within kErrorGrowth times the fit's own error per extrapolated sample; it breaks when it is
// off by kBreakRatio times that. A datagram missing from a 1 kHz-ish tone at -6 dBFS shifts its
// phase by up to half a turn: off by up to the full amplitude.
constexpr double kContinueFraction = 0.01;
constexpr double kErrorGrowth = 2.0;
constexpr double kBreakRatio = 4.0;

}  // namespace

Continuity continuityAcross(const float* tail, size_t tailCount, const float* head, size_t headCount) noexcept {
  if (tailCount < 4 || headCount < 1) return Continuity::kCannotTell;
  double peak = 0;
  for (size_t i = 0; i < tailCount; ++i) peak = std::max(peak, std::fabs(double{tail[i]}));
  double headPeak = 0;
  for (size_t i = 0; i < headCount; ++i) headPeak = std::max(headPeak, std::fabs(double{head[i]}));
  if (peak < kSilence) return headPeak < kSilence ? Continuity::kContinues : Continuity::kCannotTell;

  // Least squares for a in x[n] + x[n-2] = a x[n-1].
  double num = 0, den = 0;
  for (size_t n = 2; n < tailCount; ++n) {
    num += (double{tail[n]} + tail[n - 2]) * tail[n - 1];
    den += double{tail[n - 1]} * tail[n - 1];
  }
  if (den <= 0) return Continuity::kCannotTell;
  const double a = std::clamp(num / den, -2.0, 2.0);  // (beyond 2 the predictor grows without bound)
  double fitError = 0;
  for (size_t n = 2; n < tailCount; ++n)
    fitError = std::max(fitError, std::fabs(tail[n] - (a * tail[n - 1] - tail[n - 2])));
  if (fitError > kCleanFit * peak) return Continuity::kCannotTell;

  double before = tail[tailCount - 2], last = tail[tailCount - 1];
  double off = 0;
  for (size_t k = 0; k < headCount; ++k) {
    const double next = a * last - before;
    off = std::max(off, std::fabs(head[k] - next));
    before = last;
    last = next;
  }
  const double allowed = std::max(kContinueFraction * peak, kErrorGrowth * fitError * static_cast<double>(headCount));
  if (off <= allowed) return Continuity::kContinues;
  if (off > kBreakRatio * allowed) return Continuity::kBreaks;
  return Continuity::kCannotTell;
}

}  // namespace scream::receiver
