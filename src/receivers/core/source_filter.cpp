#include "source_filter.h"

namespace scream::receiver {

SourceFilter::SourceFilter(std::optional<SourceAddress> pinned, int64_t idleTimeoutNs)
    : pinned_(pinned), idleTimeoutNs_(idleTimeoutNs < 0 ? 0 : idleTimeoutNs) {}

SourceFilter::Verdict SourceFilter::check(const SourceAddress& from, int64_t nowNs) {
  if (pinned_ && !pinned_->matches(from)) return Verdict::kOtherSource;

  if (!locked_) {
    locked_ = from;
    lastAcceptedNs_ = nowNs;
    return Verdict::kAccept;
  }
  if (*locked_ == from) {
    // Time never runs backwards for the idle check, even if the caller's clock does.
    if (nowNs > lastAcceptedNs_) lastAcceptedNs_ = nowNs;
    return Verdict::kAccept;
  }
  if (nowNs - lastAcceptedNs_ >= idleTimeoutNs_) {
    locked_ = from;
    lastAcceptedNs_ = nowNs;
    return Verdict::kSwitched;
  }
  return Verdict::kOtherSource;
}

}  // namespace scream::receiver
