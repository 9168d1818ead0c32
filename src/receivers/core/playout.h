// The read side of the jitter buffer, on the audio thread: takes frames out of the ring for the
// resampler, and is the one place where audio is added or taken away in time (never in pitch):
//   - underrun: the last pitch period played is repeated, at full level for concealFullMs, then
//     fading to silence over concealFadeMs. Data that comes back in time continues the signal at
//     the end of a period (late data is the continuation of what was played); otherwise playout
//     goes silent and the engine primes the ring again before fading in.
//   - insert(n): about n frames of whole repeated periods, at once (a lost datagram, a shortfall).
//   - cut(n): one period, as near n frames as the signal allows, taken out where the signal
//     matches itself, the seam crossfaded (an excess of latency).
//   - skipAt(i, n): ring frames [i, i + n) are never played (a datagram that repeated the one
//     before it exactly: the frames either side join seamlessly).
// Fades from and to silence (start, stop, format switch) are the Concealer's. The decisions when
// to insert or cut are the LevelCorrector's; this class only carries them out.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "concealer.h"
#include "resampler.h"
#include "spsc_ring.h"

namespace scream::receiver {

// Edits waiting at ring positions (skip a repeat, conceal a gap), in ring order; at most four.
class PositionedEdits {
 public:
  struct Edit {
    uint64_t index;
    size_t frames;
  };
  // False when full or out of order: `index` must come after the last one (and after the frames
  // it covers, if edits `span` their frames). Edits that do not span join one at the same index.
  bool add(uint64_t index, size_t frames, bool spans) noexcept;
  // `frames` of the edit at `index` (all of it at most) are called off; false when none waits there.
  bool cancel(uint64_t index, size_t frames) noexcept;
  bool empty() const { return count_ == 0; }
  const Edit& front() const { return edits_[0]; }
  void popFront() noexcept { removeAt(0); }
  // Removes the edits before ring frame `index` (playback jumped past them); returns their frames.
  size_t settleBefore(uint64_t index) noexcept;
  size_t frames() const { return frames_; }  // of all waiting

 private:
  void removeAt(size_t i) noexcept;
  std::array<Edit, 4> edits_{};
  size_t count_ = 0, frames_ = 0;
};

class Playout final : public FrameProvider {
 public:
  struct Config {
    unsigned channels = 2;
    double sampleRate = 48000;
    double fadeMs = 4;            // fade in after silence, fade out on stop
    double minPeriodMs = 2.5;     // 400 Hz
    double maxPeriodMs = 15;      // 67 Hz
    double matchWindowMs = 5;     // how much signal a period match compares
    double concealFullMs = 20;    // an underrun is concealed at full level this long,
    double concealFadeMs = 40;    // then fades to silence over this
    double maxInsertMs = 60;      // the most one insert() adds at once
  };

  // Allocates every buffer it will use.
  Playout(SpscRing<float>& ring, const Config& config);

  // Real-time: always fills maxFrames frames (silence while silent).
  size_t pull(float* out, size_t maxFrames) noexcept override;

  void startFadeIn() noexcept { concealer_.startFadeIn(); }
  void fadeOutNow() noexcept { concealer_.fadeOutNow(); }
  bool silent() const { return concealer_.silent(); }
  // After an underrun, playback resumes from the ring once it holds this many frames.
  void setResumeFrames(size_t frames) noexcept { resumeFrames_ = frames; }

  // `limit`: no single period longer than this (0: any). With none clean enough within it, the
  // request is dropped: a seam that clicks, or an overshoot beyond the error, is worse.
  void insert(size_t frames, size_t limit = 0) noexcept;
  // Drops the oldest ring frames unplayed (stale audio before a fade-in); returns how many.
  size_t discard(size_t frames) noexcept;
  void cut(size_t frames, size_t limit = 0) noexcept;
  // An insert or cut is waiting to be carried out.
  bool busy() const { return pendingInsert_ > 0 || pendingCut_ > 0; }
  // Ring frames [index, index + frames) will be skipped when playback gets there. False when
  // playback is already past `index` or four skips are waiting (the caller cuts instead).
  bool skipAt(uint64_t index, size_t frames) noexcept;
  // Ring frame `index` follows lost audio: about `frames` frames of repeated periods are played
  // before it (the seam where the signal was cut, not somewhere later). False when playback is
  // already past it or four are waiting (the caller inserts them later instead).
  bool concealAt(uint64_t index, size_t frames) noexcept;
  size_t concealPending() const { return gaps_.frames(); }
  // `frames` of the concealment waiting at `index` are called off; false when it was played
  // already.
  bool cancelConceal(uint64_t index, size_t frames) noexcept;
  uint64_t concealedAtFrames() const { return concealedAt_; }  // played by concealAt()
  // The skip waiting at `index` is called off; false when it was carried out already.
  bool cancelSkip(uint64_t index, size_t frames) noexcept;
  size_t skipPending() const { return skips_.frames(); }
  uint64_t skippedFrames() const { return skipped_; }

  // Ring frames taken out (played or cut): the ring index of the next frame to play.
  uint64_t consumed() const { return consumed_; }
  // Frames made here that play before the ring's next frame.
  size_t queuedFrames() const { return stagedEnd_ - stagedPos_; }
  // Events since the last call; each call clears them.
  bool takeRanDry() noexcept { return std::exchange(ranDry_, false); }
  bool takeResumed() noexcept { return std::exchange(resumed_, false); }

  uint64_t insertedFrames() const { return inserted_; }  // by insert()
  uint64_t cutFrames() const { return cut_; }            // by cut()
  uint64_t concealedFrames() const { return concealedUnderrun_ + concealer_.concealedFrames(); }
  // Frames of repeated periods made while the ring was dry.
  uint64_t underrunConcealedFrames() const { return concealedUnderrun_; }
  size_t minPeriodFrames() const { return minLag_; }
  size_t maxPeriodFrames() const { return maxLag_; }

 private:
  size_t fill(float* out, size_t frames) noexcept;  // content before the Concealer's gain
  size_t readRing(float* out, size_t frames) noexcept;
  size_t untilSkip(size_t frames) noexcept;  // carries out a skip that is due; frames before the next
  size_t framesToNextEdit() const noexcept;  // ring frames before the next skip or gap (SIZE_MAX: none)
  bool resumeDue() const noexcept;
  void resume() noexcept;
  size_t conceal(float* out, size_t frames) noexcept;
  void startConcealing() noexcept;
  bool tryInsert() noexcept;
  bool tryCut() noexcept;
  void remember(const float* frames, size_t count) noexcept;
  const float* recent(size_t count) noexcept;  // the last `count` frames played, contiguous
  float concealGain(size_t frame) const noexcept;

  SpscRing<float>& ring_;
  const unsigned channels_;
  const size_t minLag_, maxLag_, window_, coarseStep_;
  const size_t concealFull_, concealFade_, maxInsert_, cutPatience_;
  Concealer concealer_;

  std::vector<float> history_;  // circular: the last frames played
  size_t historyFrames_, historyHead_ = 0;
  std::vector<float> scratch_;  // history made contiguous, or the ring looked ahead into
  std::vector<float> staged_;   // made here, to play before the ring's next frame
  size_t stagedPos_ = 0, stagedEnd_ = 0;
  std::vector<float> period_;   // the period being repeated while concealing
  std::vector<float> merge_, mergeNext_;  // a gap's periods continued, and the data after it

  size_t resumeFrames_ = 0;
  size_t pendingInsert_ = 0;
  size_t pendingCut_ = 0;
  size_t insertLimit_ = 0, cutLimit_ = 0;
  size_t cutWaited_ = 0;  // frames played since the cut was asked for

  bool concealing_ = false;
  size_t periodLength_ = 0, periodPhase_ = 0, concealedSoFar_ = 0;
  float resumeGain_ = 1.0f;  // level when concealment ended early; ramps back to 1
  size_t resumeRampDone_ = 0;

  bool armGap() noexcept;  // playback is at a gap: its insert is set up
  PositionedEdits skips_, gaps_;
  bool insertForGap_ = false;
  uint64_t concealedAt_ = 0;
  uint64_t skipped_ = 0;

  uint64_t consumed_ = 0;
  uint64_t inserted_ = 0, cut_ = 0, concealedUnderrun_ = 0;
  bool ranDry_ = false, resumed_ = false;
};

}  // namespace scream::receiver
