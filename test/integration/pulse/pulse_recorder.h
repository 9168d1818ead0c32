// Records a source (a null sink's monitor) with PulseAudio's asynchronous API and knows when
// each recorded frame played: every read is stamped with CLOCK_MONOTONIC, and the read's last
// frame is taken to have played then. The device clock is not CLOCK_MONOTONIC, so frames are
// placed by the reads around them (DeviceTimeline: median over +-1 s, which a stalled read does
// not move), never by one origin. Why read times and not pa_stream_get_latency: the server's
// latency estimate needs seconds to settle (measured here: a 5 s recording read -450 and -1770
// ppm from it, +170 and +314 from read times; over 240 s both agree within 4 ppm).
#pragma once

#include <pulse/stream.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "pulse_client.h"
#include "support/device_timeline.h"

namespace scream::testing {

class PulseRecorder {
 public:
  // channelMap: PulseAudio names ("front-left,front-right"); the same as the sink's, so the
  // server records without remixing.
  PulseRecorder(std::string source, uint32_t rate, std::string channelMap);
  ~PulseRecorder();
  bool start(std::string* error);  // connected and recording
  // Waits until the first bytes arrived (the server can take over a second): send only then.
  bool waitForData(int timeoutMs) const;
  void stop();

  unsigned channels() const { return channels_; }
  uint32_t rate() const { return rate_; }
  const std::vector<float>& samples() const { return samples_; }  // interleaved; after stop()
  std::vector<float> channel(unsigned index) const;
  // When each recorded frame played and the device's clock offset; after stop().
  const DeviceTimeline& timeline() const { return timeline_; }
  double playedNs(double frame) const { return timeline_.playedNs(frame); }
  // CLOCK_MONOTONIC ns at which recorded frame 0 played (placed by the first second's reads).
  double frame0Ns() const { return timeline_.playedNs(0); }
  // The same recording placed by each read's time minus the record stream's latency
  // (pa_stream_get_latency, negative on a monitor whose sink renders ahead): the calibration's
  // comparison.
  DeviceTimeline serverLatencyTimeline() const;
  size_t holes() const { return holes_; }

 private:
  static void onRead(pa_stream* stream, size_t bytes, void* self);

  std::string source_;
  uint32_t rate_;
  std::string map_;
  unsigned channels_ = 0;
  std::vector<float> samples_;
  struct Read {
    int64_t ns;         // CLOCK_MONOTONIC when the read returned
    int64_t latencyNs;  // pa_stream_get_latency, signed
    bool timed;         // latency known
    size_t firstFrame, frames;
  };
  std::vector<Read> reads_;
  std::atomic<size_t> framesRead_{0};
  DeviceTimeline timeline_;
  PulseClient client_;  // last: closed first, so no callback outlives the members above
  size_t holes_ = 0;
};

}  // namespace scream::testing
