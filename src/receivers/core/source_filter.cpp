#include "source_filter.h"

namespace scream::receiver {

SourceFilter::SourceFilter(std::optional<SourceAddress> pinned, int64_t idleTimeoutNs)
    : pinned_(pinned), idleTimeoutNs_(idleTimeoutNs < 0 ? 0 : idleTimeoutNs) {}

void SourceFilter::reset() {
  locked_.reset();
  for (Candidate& c : candidates_) c.active = false;
}

// May `from` try to take the lock now?
bool SourceFilter::eligible(const SourceAddress& from, int64_t nowNs) const {
  if (pinned_ && !pinned_->matches(from)) return false;
  return !locked_ || nowNs - lastAcceptedNs_ >= idleTimeoutNs_;
}

SourceFilter::Candidate& SourceFilter::candidateFor(const SourceAddress& from, int64_t nowNs) {
  Candidate* oldest = &candidates_[0];
  for (Candidate& c : candidates_) {
    if (c.active && c.from == from) return c;
  }
  for (Candidate& c : candidates_) {
    if (!c.active) {
      oldest = &c;
      break;
    }
    if (c.lastNs < oldest->lastNs) oldest = &c;
  }
  oldest->active = true;
  oldest->from = from;
  oldest->firstNs = nowNs;
  oldest->lastNs = nowNs;
  oldest->count = 0;
  return *oldest;
}

bool SourceFilter::confirm(Candidate& c, const protocol::Packet& packet, int64_t nowNs) {
  // A streak that took too long starts again with this datagram: what was held is stale.
  if (c.count > 0 && nowNs - c.firstNs > kConfirmWindowNs) {
    c.count = 0;
    c.firstNs = nowNs;
  }
  c.lastNs = nowNs;
  if (c.count + 1 >= kConfirmDatagrams) return true;
  Held& held = c.held[static_cast<size_t>(c.count)];
  held.format = packet.format;
  held.pcm.assign(packet.pcm, packet.pcm + packet.pcmBytes);
  held.arrivalNs = nowNs;
  ++c.count;
  return false;
}

void SourceFilter::takeLock(Candidate& c, const protocol::Packet& packet, int64_t nowNs,
                            const Play& play) {
  locked_ = c.from;
  lastAcceptedNs_ = nowNs;
  for (int i = 0; i < c.count; ++i) {
    const Held& held = c.held[static_cast<size_t>(i)];
    protocol::Packet replay;
    replay.format = held.format;
    replay.pcm = held.pcm.data();
    replay.pcmBytes = held.pcm.size();
    play(replay, held.arrivalNs);
  }
  play(packet, nowNs);
  // The others were confirming against a sender that now lost; they start over if they persist.
  for (Candidate& other : candidates_) other.active = false;
}

SourceFilter::Verdict SourceFilter::check(const SourceAddress& from, const protocol::Packet& packet,
                                          int64_t nowNs, const Play& play) {
  if (locked_ && *locked_ == from) {
    // Time never runs backwards for the idle check, even if the caller's clock does.
    if (nowNs > lastAcceptedNs_) lastAcceptedNs_ = nowNs;
    play(packet, nowNs);
    return Verdict::kAccept;
  }
  if (!eligible(from, nowNs)) return Verdict::kOtherSource;
  Candidate& candidate = candidateFor(from, nowNs);
  if (!confirm(candidate, packet, nowNs)) return Verdict::kPending;
  const bool first = !locked_;
  takeLock(candidate, packet, nowNs, play);
  return first ? Verdict::kLocked : Verdict::kSwitched;
}

}  // namespace scream::receiver
