// First engine stage on the network thread: follows the stream's format, notices when a stream
// starts, changes format or resumes after a gap, reassembles frames that straddle packets (5 and 7
// channels) and converts whole frames to float.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/frame_assembler.h"
#include "protocol/packet.h"

namespace scream::receiver {

class StreamTracker {
 public:
  enum class Change : uint8_t {
    kNone,
    kFirst,             // first packet ever
    kFormat,            // rate, channels or mask changed: the engine starts a new stream
    kBitsOnly,          // only the bit depth changed: the float stream continues
    kResumedAfterGap,   // same format after more than gapNs without packets (sender was silent)
  };

  struct Frames {
    Change change = Change::kNone;
    const float* samples = nullptr;  // interleaved, valid until the next push()
    size_t frames = 0;
  };

  explicit StreamTracker(int64_t gapNs);

  Frames push(const protocol::Packet& packet, int64_t arrivalNs);

  const protocol::Format& format() const { return format_; }
  bool started() const { return started_; }
  int64_t lastArrivalNs() const { return lastArrivalNs_; }

 private:
  Change classify(const protocol::Format& format, int64_t arrivalNs) const;

  protocol::FrameAssembler assembler_;
  protocol::Format format_;
  std::vector<float> scratch_;  // sized once for the largest datagram
  int64_t gapNs_;
  int64_t lastArrivalNs_ = 0;
  bool started_ = false;
};

}  // namespace scream::receiver
