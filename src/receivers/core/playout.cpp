#include "playout.h"

#include <algorithm>
#include <cmath>

#include "period_ops.h"

namespace scream::receiver {

namespace {

size_t framesOf(double ms, double rate) { return static_cast<size_t>(std::lround(ms * rate / 1000.0)); }

// A cut waits this long for a splice that matches well before it takes the best it finds.
constexpr double kCutPatienceMs = 300;
constexpr double kGoodMatch = 0.6;

}  // namespace

Playout::Playout(SpscRing<float>& ring, const Config& c)
    : ring_(ring),
      channels_(c.channels),
      minLag_(std::max<size_t>(2, framesOf(c.minPeriodMs, c.sampleRate))),
      maxLag_(std::max(minLag_, framesOf(c.maxPeriodMs, c.sampleRate))),
      window_(std::max<size_t>(8, framesOf(c.matchWindowMs, c.sampleRate))),
      // The coarse pass of a period search looks at about 16 kHz, whatever the rate.
      coarseStep_(std::max<size_t>(1, static_cast<size_t>(c.sampleRate / 16000))),
      concealFull_(framesOf(c.concealFullMs, c.sampleRate)),
      concealFade_(std::max<size_t>(1, framesOf(c.concealFadeMs, c.sampleRate))),
      maxInsert_(std::max(maxLag_, framesOf(c.maxInsertMs, c.sampleRate))),
      cutPatience_(framesOf(kCutPatienceMs, c.sampleRate)),
      concealer_(c.channels, framesOf(c.fadeMs, c.sampleRate)),
      historyFrames_(maxLag_ + window_) {
  history_.assign(historyFrames_ * channels_, 0.0f);
  scratch_.assign((maxLag_ + window_) * channels_, 0.0f);
  staged_.assign((maxInsert_ + maxLag_ + window_) * channels_, 0.0f);
  merge_.assign(window_ * channels_, 0.0f);
  mergeNext_.assign(window_ * channels_, 0.0f);
  period_.assign(maxLag_ * channels_, 0.0f);
}

void Playout::insert(size_t frames, size_t limit) noexcept {
  pendingInsert_ = frames;
  insertLimit_ = limit;
}

void Playout::cut(size_t frames, size_t limit) noexcept {
  pendingCut_ = frames >= minLag_ / 2 ? std::clamp(frames, minLag_, maxLag_) : 0;
  cutLimit_ = limit;
  cutWaited_ = 0;
}

bool PositionedEdits::add(uint64_t index, size_t frames, bool spans) noexcept {
  if (frames == 0) return false;
  if (!spans && count_ > 0 && edits_[count_ - 1].index == index) {
    edits_[count_ - 1].frames += frames;  // (a second gap declared at the same seam)
    frames_ += frames;
    return true;
  }
  if (count_ == edits_.size()) return false;
  if (count_ > 0 && index < edits_[count_ - 1].index + (spans ? edits_[count_ - 1].frames : 1)) return false;
  edits_[count_++] = {index, frames};
  frames_ += frames;
  return true;
}

bool PositionedEdits::cancel(uint64_t index, size_t frames) noexcept {
  for (size_t i = 0; i < count_; ++i) {
    if (edits_[i].index != index) continue;
    if (frames < edits_[i].frames) {
      edits_[i].frames -= frames;
      frames_ -= frames;
    } else {
      removeAt(i);
    }
    return true;
  }
  return false;
}

size_t PositionedEdits::settleBefore(uint64_t index) noexcept {
  size_t settled = 0;
  while (count_ > 0 && edits_[0].index < index) {
    settled += edits_[0].frames;
    removeAt(0);
  }
  return settled;
}

void PositionedEdits::removeAt(size_t i) noexcept {
  frames_ -= edits_[i].frames;
  for (size_t j = i + 1; j < count_; ++j) edits_[j - 1] = edits_[j];
  --count_;
}

bool Playout::skipAt(uint64_t index, size_t frames) noexcept {
  return index >= consumed_ && skips_.add(index, frames, /*spans=*/true);  // skips remove frames
}

bool Playout::concealAt(uint64_t index, size_t frames) noexcept {
  return index >= consumed_ && gaps_.add(index, frames, /*spans=*/false);  // gaps sit between
}

bool Playout::cancelConceal(uint64_t index, size_t frames) noexcept { return gaps_.cancel(index, frames); }

bool Playout::cancelSkip(uint64_t index, size_t frames) noexcept { return skips_.cancel(index, frames); }

bool Playout::armGap() noexcept {
  while (!gaps_.empty() && pendingInsert_ == 0) {
    const PositionedEdits::Edit gap = gaps_.front();
    if (consumed_ < gap.index) return false;
    gaps_.popFront();
    if (consumed_ > gap.index) continue;  // jumped over: the caller's accounting inserts it later
    pendingInsert_ = gap.frames;
    insertLimit_ = 0;
    insertForGap_ = true;
    return true;
  }
  return false;
}

size_t Playout::untilSkip(size_t frames) noexcept {
  while (!skips_.empty()) {
    const PositionedEdits::Edit next = skips_.front();
    if (consumed_ > next.index) {
      skips_.popFront();  // jumped over (a discard before a fade-in): the caller's accounting sees it
      continue;
    }
    if (consumed_ < next.index) return std::min<uint64_t>(frames, next.index - consumed_);
    if (ring_.readAvailable() / channels_ < next.frames) return 0;  // not all here yet: wait
    ring_.discard(next.frames * channels_);
    consumed_ += next.frames;
    skipped_ += next.frames;
    skips_.popFront();
  }
  return frames;
}

size_t Playout::framesToNextEdit() const noexcept {
  uint64_t next = UINT64_MAX;
  if (!skips_.empty()) next = std::min(next, skips_.front().index);
  if (!gaps_.empty()) next = std::min(next, gaps_.front().index);
  return next == UINT64_MAX || next < consumed_ ? SIZE_MAX : static_cast<size_t>(next - consumed_);
}

// Stale audio before a fade-in: edits within it are settled as done (the refill sets the level).
size_t Playout::discard(size_t frames) noexcept {
  const size_t n = ring_.discard(frames * channels_) / channels_;
  consumed_ += n;
  skipped_ += skips_.settleBefore(consumed_);
  concealedAt_ += gaps_.settleBefore(consumed_);
  return n;
}

size_t Playout::pull(float* out, size_t maxFrames) noexcept {
  if (concealer_.silent()) {
    concealing_ = false;
    stagedPos_ = stagedEnd_ = 0;
    concealer_.process(out, 0, maxFrames);
    return maxFrames;
  }
  const size_t made = fill(out, maxFrames);
  // `made` < maxFrames only when a concealment has faded all the way out: silent from there on.
  concealer_.process(out, made, maxFrames);
  return maxFrames;
}

size_t Playout::fill(float* out, size_t frames) noexcept {
  size_t done = 0;
  while (done < frames) {
    float* to = out + done * channels_;
    const size_t want = frames - done;
    if (stagedPos_ < stagedEnd_) {
      const size_t n = std::min(want, stagedEnd_ - stagedPos_);
      std::copy_n(staged_.data() + stagedPos_ * channels_, n * channels_, to);
      stagedPos_ += n;
      done += n;
      continue;
    }
    if (concealing_) {
      if (resumeDue()) {
        resume();  // back on the data, through the edits and reads below
        continue;
      }
      const size_t n = conceal(to, want);
      if (n == 0) break;  // faded out
      done += n;
      continue;
    }
    if (tryInsert() || tryCut() || armGap()) continue;
    size_t allowed = untilSkip(want);
    if (!gaps_.empty() && gaps_.front().index <= consumed_) continue;  // a skip ended at a gap
    allowed = std::min(allowed, framesToNextEdit());
    const size_t got = readRing(to, allowed);
    done += got;
    if (got < allowed || allowed == 0) startConcealing();
  }
  return done;
}

size_t Playout::readRing(float* out, size_t frames) noexcept {
  const size_t got = ring_.read(out, frames * channels_) / channels_;
  consumed_ += got;
  if (resumeGain_ < 1.0f) {
    // Concealment had faded part way: bring the level back without a step.
    const size_t ramp = std::max<size_t>(1, concealer_.fadeFrames());
    for (size_t f = 0; f < got && resumeGain_ < 1.0f; ++f, ++resumeRampDone_) {
      const float x = raisedCosine(static_cast<double>(resumeRampDone_) / static_cast<double>(ramp));
      const float g = resumeGain_ + (1.0f - resumeGain_) * x;
      for (unsigned c = 0; c < channels_; ++c) out[f * channels_ + c] *= g;
      if (resumeRampDone_ + 1 >= ramp) resumeGain_ = 1.0f;
    }
  }
  remember(out, got);
  if (pendingCut_ > 0) cutWaited_ += got;
  return got;
}

// Underrun: repeat the last period played. Starts at a period boundary, so the first repeated
// frame follows the last real one where the signal matched itself best.
void Playout::startConcealing() noexcept {
  ranDry_ = true;
  const float* x = recent(historyFrames_);
  const PeriodMatch m = findPeriodBefore(x, historyFrames_, channels_, minLag_, maxLag_, window_, coarseStep_);
  periodLength_ = std::max(m.lag, minLag_);
  std::copy_n(x + (historyFrames_ - periodLength_) * channels_, periodLength_ * channels_, period_.data());
  periodPhase_ = 0;
  concealedSoFar_ = 0;
  concealing_ = true;
}

float Playout::concealGain(size_t frame) const noexcept {
  if (frame < concealFull_) return 1.0f;
  return 1.0f - raisedCosine(static_cast<double>(frame - concealFull_) / static_cast<double>(concealFade_));
}

// Data is back after an underrun: go on from it at the end of the period being repeated.
bool Playout::resumeDue() const noexcept {
  return periodPhase_ == 0 && concealedSoFar_ > 0 &&
         ring_.readAvailable() / channels_ >= std::max<size_t>(1, resumeFrames_);
}

void Playout::resume() noexcept {
  // The ring ran dry right at a gap (the loss itself emptied it): the underrun's concealment
  // stood in for the lost audio, which is settled rather than concealed a second time.
  if (!gaps_.empty() && gaps_.front().index == consumed_) {
    concealedAt_ += gaps_.front().frames;
    gaps_.popFront();
  }
  concealing_ = false;
  resumed_ = true;
  resumeGain_ = concealGain(concealedSoFar_);
  resumeRampDone_ = 0;
}

size_t Playout::conceal(float* out, size_t frames) noexcept {
  if (concealedSoFar_ >= concealFull_ + concealFade_) {
    concealing_ = false;
    return 0;  // the caller's Concealer goes silent; the engine primes again
  }
  const size_t n = std::min({frames, periodLength_ - periodPhase_, concealFull_ + concealFade_ - concealedSoFar_});
  for (size_t f = 0; f < n; ++f) {
    const float g = concealGain(concealedSoFar_ + f);
    const float* from = period_.data() + (periodPhase_ + f) * channels_;
    for (unsigned c = 0; c < channels_; ++c) out[f * channels_ + c] = from[c] * g;
  }
  periodPhase_ = (periodPhase_ + n) % periodLength_;
  concealedSoFar_ += n;
  concealedUnderrun_ += n;
  remember(out, n);
  return n;
}

// Whole periods of what was just played, repeated: both seams are where the signal already
// joins itself (the last frame played was followed by the ring's next one).
bool Playout::tryInsert() noexcept {
  if (pendingInsert_ < minLag_ / 2) {
    pendingInsert_ = 0;
    insertForGap_ = false;
    return false;
  }
  const float* x = recent(historyFrames_);
  const size_t want = std::min(pendingInsert_, maxInsert_);
  // One period as near the amount as the signal allows, or several of the best one.
  const LagPreference preference =
      want <= maxLag_ && !insertForGap_ ? LagPreference{want, insertLimit_} : LagPreference{};
  const PeriodMatch m = findPeriodBefore(x, historyFrames_, channels_, minLag_, maxLag_, window_,
                                         coarseStep_, preference);
  if (m.lag == 0) {
    pendingInsert_ = 0;  // no clean seam within the limit: better not to insert at all
    insertForGap_ = false;
    return false;
  }
  const size_t period = m.lag;
  const float* source = x + (historyFrames_ - period) * channels_;
  // A gap gets exactly its length (the merge below hides where the periods stop); elsewhere
  // whole periods, whose end joins the ring's next frame as the last frame played did.
  const size_t periods = std::max<size_t>(1, (want + period / 2) / period);
  // (The merge reads the data after the gap, not past the next edit.)
  const size_t merge = std::min({window_, ring_.readAvailable() / channels_, framesToNextEdit()});
  const bool merging = insertForGap_ && merge >= window_ / 2;
  const size_t added = merging ? want : periods * period;
  for (size_t f = 0; f < added; f += period) {
    std::copy_n(source, std::min(period, added - f) * channels_, staged_.data() + f * channels_);
  }
  stagedPos_ = 0;
  stagedEnd_ = added;
  if (merging) {
    // Where audio was lost, the data after the gap does not continue these periods exactly
    // (whole frames never add up to the lost length in phase): the periods go on a little
    // longer and crossfade into it, as NetEQ merges an expansion into new data.
    for (size_t f = 0; f < merge; ++f) {
      std::copy_n(source + ((added + f) % period) * channels_, channels_, merge_.data() + f * channels_);
    }
    ring_.read(mergeNext_.data(), merge * channels_);
    consumed_ += merge;
    crossfade(merge_.data(), mergeNext_.data(), staged_.data() + added * channels_, merge, channels_);
    stagedEnd_ = added + merge;
  }
  remember(staged_.data(), stagedEnd_);
  (insertForGap_ ? concealedAt_ : inserted_) += added;
  pendingInsert_ = pendingInsert_ > added ? pendingInsert_ - added : 0;
  if (pendingInsert_ == 0) insertForGap_ = false;
  return true;
}

// One period cut out of what is about to play: frames [0, W) crossfade into [T, T + W), where
// T is the lag at which the two match best; T + W ring frames become W.
bool Playout::tryCut() noexcept {
  if (pendingCut_ == 0) return false;
  // Look ahead as far as the ring allows, but not across an edit waiting ahead (a cut would jump
  // over it); the period nearest the amount asked for wins.
  const size_t available = std::min(ring_.readAvailable() / channels_, framesToNextEdit());
  if (available < minLag_ + window_) return false;  // not enough to look ahead yet
  const size_t maxLag = std::min(maxLag_, available - window_);
  const size_t need = maxLag + window_;
  ring_.peek(scratch_.data(), need * channels_);
  const PeriodMatch m = findPeriodAfter(scratch_.data(), channels_, minLag_, maxLag, window_,
                                        coarseStep_, {pendingCut_, cutLimit_});
  if (m.lag == 0) {
    pendingCut_ = 0;  // no clean seam within the limit: better not to cut at all
    return false;
  }
  if (m.correlation < kGoodMatch && cutWaited_ < cutPatience_) return false;  // try again later
  const size_t lag = m.lag;
  crossfade(scratch_.data(), scratch_.data() + lag * channels_, staged_.data(), window_, channels_);
  ring_.discard((lag + window_) * channels_);
  consumed_ += lag + window_;
  stagedPos_ = 0;
  stagedEnd_ = window_;
  remember(staged_.data(), window_);
  cut_ += lag;
  pendingCut_ = 0;
  return true;
}

void Playout::remember(const float* frames, size_t count) noexcept {
  if (count >= historyFrames_) {
    frames += (count - historyFrames_) * channels_;
    count = historyFrames_;
  }
  const size_t first = std::min(count, historyFrames_ - historyHead_);
  std::copy_n(frames, first * channels_, history_.data() + historyHead_ * channels_);
  std::copy_n(frames + first * channels_, (count - first) * channels_, history_.data());
  historyHead_ = (historyHead_ + count) % historyFrames_;
}

const float* Playout::recent(size_t count) noexcept {
  // historyHead_ is the oldest frame; copy oldest..newest into scratch.
  const size_t start = (historyHead_ + historyFrames_ - count) % historyFrames_;
  const size_t first = std::min(count, historyFrames_ - start);
  std::copy_n(history_.data() + start * channels_, first * channels_, scratch_.data());
  std::copy_n(history_.data(), (count - first) * channels_, scratch_.data() + first * channels_);
  return scratch_.data();
}

}  // namespace scream::receiver
