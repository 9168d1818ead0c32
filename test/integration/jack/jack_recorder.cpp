#include "jack_recorder.h"

#include <time.h>

#include <chrono>
#include <thread>

namespace scream::testing {

JackRecorder::JackRecorder(unsigned channels, double maxSeconds)
    : channels_(channels), maxSeconds_(maxSeconds) {}

JackRecorder::~JackRecorder() {
  if (client_ != nullptr) jack_client_close(client_);
}

bool JackRecorder::open(std::string* error) {
  jack_status_t status{};
  client_ = jack_client_open("scream-test-recorder", JackNoStartServer, &status);
  if (client_ == nullptr) {
    *error = "recorder: cannot open a JACK client, status " + std::to_string(status);
    return false;
  }
  rate_ = jack_get_sample_rate(client_);
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  // jackd2 reads CLOCK_MONOTONIC_RAW here, off CLOCK_MONOTONIC by up to seconds but at one rate.
  clockOffsetNs_ = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec -
                   static_cast<int64_t>(jack_get_time()) * 1000;
  samples_.assign(static_cast<size_t>(maxSeconds_ * rate_) * channels_, 0.0f);
  // The process callback may not allocate: room for every cycle, even at the smallest period.
  cycles_.resize(static_cast<size_t>(maxSeconds_ * rate_) / 16 + 1);
  for (unsigned ch = 0; ch < channels_; ++ch) {
    const std::string name = "in_" + std::to_string(ch + 1);
    jack_port_t* port =
        jack_port_register(client_, name.c_str(), JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    if (port == nullptr) {
      *error = "recorder: cannot register " + name;
      return false;
    }
    ports_.push_back(port);
  }
  jack_set_process_callback(client_, &JackRecorder::onProcess, this);
  jack_set_xrun_callback(client_, &JackRecorder::onXrun, this);
  if (jack_activate(client_) != 0) {
    *error = "recorder: cannot activate";
    return false;
  }
  return true;
}

bool JackRecorder::waitForPort(const std::string& port, int timeoutMs) {
  for (int waited = 0; waited < timeoutMs; waited += 20) {
    if (jack_port_by_name(client_, port.c_str()) != nullptr) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

bool JackRecorder::connect(const std::vector<std::string>& sources, std::string* error) {
  // JACK refuses connections to a client that registered its ports but is not active yet.
  for (size_t ch = 0; ch < sources.size() && ch < ports_.size(); ++ch) {
    int tries = 0;
    while (jack_connect(client_, sources[ch].c_str(), jack_port_name(ports_[ch])) != 0) {
      if (++tries == 100) {
        *error = "recorder: cannot connect " + sources[ch];
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return true;
}

std::vector<float> JackRecorder::channel(unsigned index) const {
  std::vector<float> out;
  const size_t n = frames();
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(samples_[i * channels_ + index]);
  return out;
}

DeviceTimeline JackRecorder::timeline() const {
  const size_t n = cyclesWritten_.load(std::memory_order_acquire);
  return DeviceTimeline(std::vector<DeviceStamp>(cycles_.begin(), cycles_.begin() + static_cast<long>(n)),
                        rate_);
}

std::vector<std::string> JackRecorder::portsOf(const std::string& client) const {
  std::vector<std::string> names;
  const std::string pattern = "^" + client + ":";
  if (const char** ports = jack_get_ports(client_, pattern.c_str(), nullptr, 0)) {
    for (size_t i = 0; ports[i] != nullptr; ++i) names.emplace_back(ports[i]);
    jack_free(ports);
  }
  return names;
}

std::vector<std::string> JackRecorder::connectionsOf(const std::string& port) const {
  std::vector<std::string> names;
  jack_port_t* p = jack_port_by_name(client_, port.c_str());
  if (p == nullptr) return names;
  if (const char** peers = jack_port_get_all_connections(client_, p)) {
    for (size_t i = 0; peers[i] != nullptr; ++i) names.emplace_back(peers[i]);
    jack_free(peers);
  }
  return names;
}

int JackRecorder::onXrun(void* self) {
  static_cast<JackRecorder*>(self)->xruns_.fetch_add(1);
  return 0;
}

int JackRecorder::onProcess(jack_nframes_t frames, void* self) {
  auto* r = static_cast<JackRecorder*>(self);
  if (!r->recording_.load(std::memory_order_relaxed)) return 0;
  const size_t at = r->written_.load(std::memory_order_relaxed);
  if (at + static_cast<size_t>(frames) * r->channels_ > r->samples_.size()) return 0;
  jack_nframes_t cycleFrames;
  jack_time_t cycleUs, nextUs;
  float periodUs;
  const size_t cycle = r->cyclesWritten_.load(std::memory_order_relaxed);
  if (cycle < r->cycles_.size() &&
      jack_get_cycle_times(r->client_, &cycleFrames, &cycleUs, &nextUs, &periodUs) == 0) {
    r->cycles_[cycle] = {static_cast<double>(at / r->channels_),
                         static_cast<double>(cycleUs) * 1000.0 + static_cast<double>(r->clockOffsetNs_)};
    r->cyclesWritten_.store(cycle + 1, std::memory_order_release);
  }
  for (unsigned ch = 0; ch < r->channels_; ++ch) {
    const auto* in = static_cast<const float*>(jack_port_get_buffer(r->ports_[ch], frames));
    for (jack_nframes_t i = 0; i < frames; ++i) r->samples_[at + i * r->channels_ + ch] = in[i];
  }
  r->written_.store(at + static_cast<size_t>(frames) * r->channels_, std::memory_order_release);
  return 0;
}

}  // namespace scream::testing
