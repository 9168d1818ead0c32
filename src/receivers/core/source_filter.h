// Locks the receiver to one sender. Sits between header validation and the stream tracker in the
// network thread: two senders on one port would otherwise interleave their PCM into one stream.
// Pure logic on caller-supplied time, so it is tested with simulated clocks.
#pragma once

#include <cstdint>
#include <optional>

#include "source_address.h"

namespace scream::receiver {

class SourceFilter {
 public:
  enum class Verdict {
    kAccept,       // from the locked sender (or the first sender, which takes the lock)
    kSwitched,     // a new sender took the lock because the locked one had gone silent
    kOtherSource,  // from someone else while the lock is held: the caller counts and drops it
  };

  // pinned: only senders matching it (port 0 = any port of that address) can ever hold the lock.
  // idleTimeoutNs: how long the locked sender must be silent before another one may take over;
  // 0 means the latest sender always wins.
  SourceFilter(std::optional<SourceAddress> pinned, int64_t idleTimeoutNs);

  // Call for valid packets only, so malformed traffic can never take the lock. nowNs is the
  // packet's arrival time on any monotonic clock.
  Verdict check(const SourceAddress& from, int64_t nowNs);

  // The sender currently holding the lock (exact address and port), if any.
  std::optional<SourceAddress> locked() const { return locked_; }

  // Forgets the lock: the next valid packet from an eligible sender takes it (kAccept).
  void reset() { locked_.reset(); }

 private:
  std::optional<SourceAddress> pinned_;
  int64_t idleTimeoutNs_;
  std::optional<SourceAddress> locked_;
  int64_t lastAcceptedNs_ = 0;
};

}  // namespace scream::receiver
