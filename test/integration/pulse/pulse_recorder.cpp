#include "pulse_recorder.h"

#include <chrono>
#include <thread>

#include "support/test_sender.h"

namespace scream::testing {

PulseRecorder::PulseRecorder(std::string source, uint32_t rate, std::string channelMap)
    : source_(std::move(source)), rate_(rate), map_(std::move(channelMap)) {}

PulseRecorder::~PulseRecorder() { stop(); }

void PulseRecorder::onRead(pa_stream* stream, size_t, void* self) {
  auto* r = static_cast<PulseRecorder*>(self);
  for (;;) {
    const int64_t now = monotonicNs();
    pa_usec_t latency = 0;
    int negative = 0;
    const bool timed = pa_stream_get_latency(stream, &latency, &negative) == 0;
    const void* data = nullptr;
    size_t bytes = 0;
    if (pa_stream_peek(stream, &data, &bytes) < 0 || bytes == 0) return;
    if (data == nullptr) {
      ++r->holes_;
    } else {
      const size_t first = r->samples_.size() / r->channels_;
      const auto signedLatency = (negative ? -1 : 1) * static_cast<int64_t>(latency) * 1000;
      r->reads_.push_back({now, signedLatency, timed, first, bytes / sizeof(float) / r->channels_});
      const auto* f = static_cast<const float*>(data);
      r->samples_.insert(r->samples_.end(), f, f + bytes / sizeof(float));
      r->framesRead_.store(r->samples_.size() / r->channels_);
    }
    pa_stream_drop(stream);
  }
}

bool PulseRecorder::start(std::string* error) {
  pa_channel_map map;
  if (pa_channel_map_parse(&map, map_.c_str()) == nullptr) {
    *error = "bad channel map " + map_;
    return false;
  }
  channels_ = map.channels;
  return client_.open("scream test recorder", [&](pa_context* context) {
    const pa_sample_spec spec{PA_SAMPLE_FLOAT32NE, rate_, static_cast<uint8_t>(channels_)};
    pa_stream* stream = pa_stream_new(context, "recorder", &spec, &map);
    pa_stream_set_read_callback(stream, &PulseRecorder::onRead, this);
    pa_buffer_attr attr{};
    attr.maxlength = static_cast<uint32_t>(-1);
    attr.fragsize = static_cast<uint32_t>(pa_usec_to_bytes(5000, &spec));  // small: low latency
    const auto flags = static_cast<pa_stream_flags_t>(
        PA_STREAM_ADJUST_LATENCY | PA_STREAM_INTERPOLATE_TIMING | PA_STREAM_AUTO_TIMING_UPDATE);
    pa_stream_connect_record(stream, source_.c_str(), &attr, flags);
    return stream;
  }, error);
}

bool PulseRecorder::waitForData(int timeoutMs) const {
  for (int waited = 0; framesRead_.load() == 0; waited += 10) {
    if (waited >= timeoutMs) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void PulseRecorder::stop() {
  if (!client_.isOpen()) return;
  client_.close();
  std::vector<DeviceStamp> stamps;
  for (const Read& read : reads_)
    stamps.push_back({static_cast<double>(read.firstFrame + read.frames), static_cast<double>(read.ns)});
  timeline_ = DeviceTimeline(std::move(stamps), rate_);
}

DeviceTimeline PulseRecorder::serverLatencyTimeline() const {
  std::vector<DeviceStamp> stamps;
  for (const Read& read : reads_)
    if (read.timed)
      stamps.push_back({static_cast<double>(read.firstFrame), static_cast<double>(read.ns - read.latencyNs)});
  return DeviceTimeline(std::move(stamps), rate_);
}

std::vector<float> PulseRecorder::channel(unsigned index) const {
  std::vector<float> out(samples_.size() / channels_);
  for (size_t i = 0; i < out.size(); ++i) out[i] = samples_[i * channels_ + index];
  return out;
}

}  // namespace scream::testing
