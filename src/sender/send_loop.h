// scream-send's main loop: at every burst deadline, pull the frames the clock says are due from
// the source and push them through the shared send pipeline (silence gate + packetizer from
// src/driver/core and src/protocol) into the UDP socket.
#pragma once

#include <atomic>
#include <cstdint>

#include "sender/marker_log.h"
#include "sender/source.h"
#include "sender/udp_sender.h"

namespace scream::sender {

struct LoopOptions {
  uint64_t maxFrames = UINT64_MAX;  // --duration in frames
  uint32_t silenceThreshold = 0;    // frames, 0 = off
  uint32_t burstMs = 5;
  double clockPpm = 0;
};

struct LoopStats {
  uint64_t frames = 0;  // frames taken from the source
  uint64_t datagrams = 0;
  uint64_t sendErrors = 0;
  uint64_t suppressedFrames = 0;
  uint64_t markers = 0;
  bool sourceEnded = false;
};

// Runs until the source ends, maxFrames have been sent or `stop` becomes true; always flushes
// the last partial payload before returning.
LoopStats runSendLoop(Source& source, UdpSender& udp, MarkerLog* markers,
                      const LoopOptions& options, const std::atomic<bool>& stop);

}  // namespace scream::sender
