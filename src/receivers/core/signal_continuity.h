// Whether one stretch of audio continues another seamlessly: the audio's own evidence of whether
// a datagram went missing between two (Scream has no sequence numbers).
//
// A two-tap predictor x[n] = a x[n-1] - x[n-2] is fitted to the tail of the first stretch (any
// sinusoid obeys it exactly, with a = 2 cos w); where it fits the tail closely, it is run on
// into the head of the next stretch:
//   - the head follows the extrapolation: the signal continues (nothing missing between them);
//   - the head is clearly off it: the signal breaks (a datagram missing, a phase jump);
//   - the tail is no clean oscillation (music, noise, a mix of tones), or the head is only a
//     little off: cannot tell, and the caller decides by timing alone.
// Silence (below -80 dBFS) on both sides continues. A signal periodic in a datagram's length
// continues across a missing datagram too: then nothing audible is missing either (the caller's
// timing still finds the loss, later).
#pragma once

#include <cstddef>

namespace scream::receiver {

enum class Continuity { kContinues, kBreaks, kCannotTell };

// tail: the last `tailCount` samples before the boundary (one channel, -1..1), oldest first;
// head: the first `headCount` samples after it. tailCount >= 4, headCount >= 1.
Continuity continuityAcross(const float* tail, size_t tailCount, const float* head, size_t headCount) noexcept;

}  // namespace scream::receiver
