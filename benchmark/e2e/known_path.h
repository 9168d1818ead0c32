// The calibration's known path: the probe tone played straight into the sink by a PulseAudio
// playback client that writes only what the sink asks for. Its writes are paced by the device's
// own clock, so the time from writing a marker to the marker playing is the client's buffer, the
// same all along: a flat latency, whatever the device clock does against CLOCK_MONOTONIC. An
// instrument that shows a slope on this path measures itself, not a receiver.
#pragma once

#include <pulse/stream.h>

#include <cstdint>
#include <string>
#include <vector>

#include "pulse_client.h"
#include "sender/tone_source.h"

namespace scream::bench {

class KnownPathPlayer {
 public:
  explicit KnownPathPlayer(std::string sink);
  bool start(std::string* error);
  void stop() { client_.close(); }
  // CLOCK_MONOTONIC just before each marker's first frame was handed to the server; after stop().
  const std::vector<int64_t>& markerWriteNs() const { return markerWriteNs_; }
  // The client's buffer (tlength). At 40 ms a writer stalled 10-30 ms (this VM) could run it
  // dry, and the latency sat on plateaus 6 ms apart for tens of seconds (the truth was flat
  // only to +-3 ms); at 200 ms it held 199.8 +- 0.1 ms for two minutes.
  static constexpr uint32_t kBufferMs = 200;

 private:
  static void onWrite(pa_stream* stream, size_t bytes, void* self);

  std::string sink_;
  sender::ToneSource tone_;
  uint64_t written_ = 0;  // frames
  std::vector<uint8_t> chunk_;
  std::vector<int64_t> markerWriteNs_;
  testing::PulseClient client_;  // last: closed first, so no callback outlives the members above
};

}  // namespace scream::bench
