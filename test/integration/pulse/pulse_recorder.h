// Records a source (a null sink's monitor) with PulseAudio's asynchronous API and knows when
// each recorded frame played: every read is stamped with CLOCK_MONOTONIC minus the record
// stream's latency (pa_stream_get_latency: how long ago the next unread frame was captured).
#pragma once

#include <pulse/thread-mainloop.h>
#include <pulse/stream.h>

#include <cstdint>
#include <string>
#include <vector>

namespace scream::testing {

class PulseRecorder {
 public:
  // channelMap: PulseAudio names ("front-left,front-right"); the same as the sink's, so the
  // server records without remixing.
  PulseRecorder(std::string source, uint32_t rate, std::string channelMap);
  ~PulseRecorder();
  bool start(std::string* error);  // connected and recording
  void stop();

  unsigned channels() const { return channels_; }
  uint32_t rate() const { return rate_; }
  const std::vector<float>& samples() const { return samples_; }  // interleaved; after stop()
  std::vector<float> channel(unsigned index) const;
  // CLOCK_MONOTONIC ns at which recorded frame 0 played (median over all reads).
  double frame0Ns() const;
  size_t holes() const { return holes_; }

 private:
  static void onState(pa_context* context, void* self);
  static void onStreamState(pa_stream* stream, void* self);
  static void onRead(pa_stream* stream, size_t bytes, void* self);

  std::string source_;
  uint32_t rate_;
  std::string map_;
  unsigned channels_ = 0;
  pa_threaded_mainloop* loop_ = nullptr;
  pa_context* context_ = nullptr;
  pa_stream* stream_ = nullptr;
  std::vector<float> samples_;
  std::vector<double> origins_;  // per read: monotonic ns of frame 0
  size_t holes_ = 0;
};

}  // namespace scream::testing
