// Locks the receiver to one sender. Sits between header validation and the stream tracker in the
// network thread: two senders on one port would otherwise interleave their PCM into one stream.
//
// The lock is taken only by a sender whose valid datagrams keep coming: kConfirmDatagrams of
// them within kConfirmWindowNs. One stray datagram (a scan, a broken sender, a valid-looking bit
// of garbage) never takes it. The datagrams that confirm a sender are held, not dropped, and are
// played in order once it has the lock, so a clean stream loses nothing to the confirmation.
// Decisions are on caller-supplied time, so it is tested with simulated clocks.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "protocol/packet.h"
#include "source_address.h"

namespace scream::receiver {

class SourceFilter {
 public:
  enum class Verdict {
    kAccept,       // from the locked sender: played
    kLocked,       // confirmed the first sender: it holds the lock, its held datagrams played
    kSwitched,     // confirmed a new sender after the locked one had gone silent; played
    kPending,      // from a sender not yet confirmed: held until it is (or dropped if never)
    kOtherSource,  // from someone else while the lock is held: the caller counts it, dropped
  };

  static constexpr int kConfirmDatagrams = 3;
  static constexpr int64_t kConfirmWindowNs = 200'000'000;  // 44.1 kHz mono: 3 in ~40 ms
  // Senders confirming at the same time; one more replaces the one heard from least recently.
  static constexpr size_t kMaxCandidates = 4;

  using Play = std::function<void(const protocol::Packet& packet, int64_t arrivalNs)>;

  // pinned: only senders matching it (port 0 = any port of that address) can ever hold the lock.
  // idleTimeoutNs: how long the locked sender must be silent before another one may take over;
  // 0 means the latest confirmed sender always wins.
  SourceFilter(std::optional<SourceAddress> pinned, int64_t idleTimeoutNs);

  // Call for valid packets only (protocol::parsePacket), so malformed traffic can never take the
  // lock. nowNs is the packet's arrival time on any monotonic clock. Calls play() for every packet
  // to be played now, oldest first; packet.pcm need only be valid during the call.
  Verdict check(const SourceAddress& from, const protocol::Packet& packet, int64_t nowNs,
                const Play& play);

  // The sender currently holding the lock (exact address and port), if any.
  std::optional<SourceAddress> locked() const { return locked_; }

  // Forgets the lock and every candidate: the next sender to confirm takes the lock.
  void reset();

 private:
  struct Held {
    protocol::Format format;
    std::vector<uint8_t> pcm;  // capacity kept across uses: no allocation once warmed up
    int64_t arrivalNs = 0;
  };
  struct Candidate {
    bool active = false;
    SourceAddress from;
    int64_t firstNs = 0;
    int64_t lastNs = 0;
    int count = 0;  // valid datagrams in the current streak
    std::array<Held, kConfirmDatagrams - 1> held;
  };

  bool eligible(const SourceAddress& from, int64_t nowNs) const;
  Candidate& candidateFor(const SourceAddress& from, int64_t nowNs);
  // True when this packet confirms the candidate; otherwise the packet is held.
  bool confirm(Candidate& candidate, const protocol::Packet& packet, int64_t nowNs);
  void takeLock(Candidate& candidate, const protocol::Packet& packet, int64_t nowNs,
                const Play& play);

  std::optional<SourceAddress> pinned_;
  int64_t idleTimeoutNs_;
  std::optional<SourceAddress> locked_;
  int64_t lastAcceptedNs_ = 0;
  std::array<Candidate, kMaxCandidates> candidates_;
};

}  // namespace scream::receiver
