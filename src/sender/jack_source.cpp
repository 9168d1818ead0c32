#include "sender/jack_source.h"

#include <jack/jack.h>
#include <jack/ringbuffer.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <algorithm>
#include <cmath>

#include "receivers/jack/jack_ports.h"
#include "sender/pcm_sample.h"

namespace scream::sender {

namespace {
constexpr double kRingSeconds = 1.0;  // rides out any stall of the reading thread
}

JackSource::JackSource(const protocol::Format& format, const std::atomic<bool>& stop)
    : format_(format), stop_(stop) {
  sem_init(&dataReady_, 0, 0);
}

std::unique_ptr<JackSource> JackSource::open(const protocol::Format& format,
                                             const std::string& clientName,
                                             const std::atomic<bool>& stop, std::string* error) {
  std::unique_ptr<JackSource> source(new JackSource(format, stop));
  jack_status_t status{};
  source->client_ = jack_client_open(clientName.c_str(), JackNoStartServer, &status);
  if (source->client_ == nullptr) {
    *error = "cannot connect to the JACK server (status " + std::to_string(status) + ")";
    return nullptr;
  }
  source->clientName_ = jack_get_client_name(source->client_);
  protocol::Format& f = source->format_;
  f.sampleRate = jack_get_sample_rate(source->client_);
  if (protocol::validateFormat(f) != protocol::FormatError::kOk) {
    *error = "the JACK server's rate " + std::to_string(f.sampleRate) +
             " Hz cannot be sent (needs a multiple of 44100 or 48000)";
    return nullptr;
  }
  if (f.sampleRate != format.sampleRate) {
    spdlog::info("jack: the server runs at {} Hz; sending that rate", f.sampleRate);
  }
  for (const std::string& name : receiver::jackPortNames(f.channelMask, f.channels)) {
    jack_port_t* port = jack_port_register(source->client_, name.c_str(), JACK_DEFAULT_AUDIO_TYPE,
                                           JackPortIsInput, 0);
    if (port == nullptr) {
      *error = "cannot register JACK port " + name;
      return nullptr;
    }
    source->ports_.push_back(port);
  }
  const size_t frameBytes = sizeof(float) * f.channels;
  source->ring_ =
      jack_ringbuffer_create(static_cast<size_t>(kRingSeconds * f.sampleRate) * frameBytes);
  jack_ringbuffer_mlock(source->ring_);
  jack_set_process_callback(source->client_, &JackSource::onProcess, source.get());
  jack_on_shutdown(source->client_, &JackSource::onShutdown, source.get());
  if (jack_activate(source->client_) != 0) {
    *error = "cannot activate the JACK client";
    return nullptr;
  }
  return source;
}

JackSource::~JackSource() {
  if (client_ != nullptr) {
    jack_deactivate(client_);
    jack_client_close(client_);
  }
  if (ring_ != nullptr) jack_ringbuffer_free(ring_);
  sem_destroy(&dataReady_);
  if (droppedFrames_ > 0)
    spdlog::warn("jack: {} frames lost (sender fell behind)", droppedFrames_.load());
}

// Real-time thread: no locks, no allocation, no logging. Interleaves the port buffers into the
// ring frame by frame; a full ring drops the whole period (counted).
int JackSource::onProcess(jack_nframes_t frames, void* self) {
  auto* s = static_cast<JackSource*>(self);
  const size_t channels = s->ports_.size();
  const size_t frameBytes = sizeof(float) * channels;
  if (jack_ringbuffer_write_space(s->ring_) < frames * frameBytes) {
    s->droppedFrames_.fetch_add(frames, std::memory_order_relaxed);
    return 0;
  }
  const float* buffers[protocol::kMaxChannels];
  for (size_t c = 0; c < channels; ++c) {
    buffers[c] = static_cast<const float*>(jack_port_get_buffer(s->ports_[c], frames));
  }
  float frame[protocol::kMaxChannels];
  for (uint32_t i = 0; i < frames; ++i) {
    for (size_t c = 0; c < channels; ++c) frame[c] = buffers[c][i];
    jack_ringbuffer_write(s->ring_, reinterpret_cast<const char*>(frame), frameBytes);
  }
  sem_post(&s->dataReady_);
  return 0;
}

void JackSource::onShutdown(void* self) {
  auto* s = static_cast<JackSource*>(self);
  s->shutDown_.store(true);
  sem_post(&s->dataReady_);
}

size_t JackSource::read(uint8_t* out, size_t frames) {
  const size_t channels = format_.channels;
  const size_t frameBytes = sizeof(float) * channels;
  const uint32_t bps = format_.bytesPerSample();
  const double scale = static_cast<double>(fullScale(format_.bitsPerSample));
  size_t got = 0;
  while (got < frames && !stop_.load()) {
    const size_t available = jack_ringbuffer_read_space(ring_) / frameBytes;
    if (available == 0) {
      if (shutDown_.load()) {
        spdlog::error("jack: the server shut down");
        break;
      }
      // Wakes for each period, or every 100 ms to look at the stop flag.
      timespec deadline{};
      clock_gettime(CLOCK_REALTIME, &deadline);
      deadline.tv_nsec += 100'000'000;
      if (deadline.tv_nsec >= 1'000'000'000)
        deadline.tv_sec += 1, deadline.tv_nsec -= 1'000'000'000;
      sem_timedwait(&dataReady_, &deadline);
      continue;
    }
    const size_t take = std::min(available, frames - got);
    scratch_.resize(take * channels);
    jack_ringbuffer_read(ring_, reinterpret_cast<char*>(scratch_.data()), take * frameBytes);
    uint8_t* dst = out + got * format_.bytesPerFrame();
    for (float sample : scratch_) {
      const double clamped = std::clamp(static_cast<double>(sample), -1.0, 1.0);
      writeSample(static_cast<int32_t>(std::lround(clamped * scale)), bps, dst);
      dst += bps;
    }
    got += take;
  }
  return got;
}

}  // namespace scream::sender
