#include "jack_sink.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "jack_ports.h"
#include "protocol/format.h"
#include "receivers/core/monotonic_clock.h"

namespace scream::receiver {

namespace {

constexpr int kPollMs = 100;  // how often the supervisor looks for a server shutdown
constexpr int64_t kXrunReportNs = 10'000'000'000;

// libjack reports through these from any of its threads; the process thread must not log, and
// a reconnection attempt's details were already said once.
thread_local bool inProcessThread = false;
std::atomic<bool> retryingQuietly{false};

void forwardJackError(const char* message) {
  if (!inProcessThread && !retryingQuietly.load()) spdlog::debug("libjack: {}", message);
}

void dropJackInfo(const char*) {}

std::string serverName() {
  const char* name = std::getenv("JACK_DEFAULT_SERVER");
  return name && *name ? name : "default";
}

std::string openError(jack_status_t status) {
  if (status & JackServerFailed) {
    return "no JACK server '" + serverName() + "' is running (it is not started for us)";
  }
  char code[16];
  std::snprintf(code, sizeof code, "0x%x", static_cast<unsigned>(status));
  return "JACK: cannot open a client on server '" + serverName() + "' (status " + code + ")";
}

}  // namespace

JackSink::JackSink(JackSinkConfig config) : config_(std::move(config)) {}

JackSink::~JackSink() {
  stop();
}

std::string JackSink::describe() const {
  return "jack:" + config_.clientName;
}

SinkFormat JackSink::start(const SinkFormat& wanted, AudioSource& source) {
  if (running_) throw std::logic_error("jack sink already started");
  if (wanted.channels < 1 || wanted.channels > protocol::kMaxChannels) {
    throw std::runtime_error("JACK: cannot play " + std::to_string(wanted.channels) + " channels");
  }
  jack_set_error_function(&forwardJackError);
  jack_set_info_function(&dropJackInfo);
  format_ = wanted;
  source_ = &source;
  portNames_ = jackPortNames(wanted.channelMask, wanted.channels);
  interleaved_.assign(config_.maxBlockFrames * wanted.channels, 0.0f);
  std::string error;
  if (!open(&error)) throw std::runtime_error(error);
  // The server's rate is the device's: the engine resamples to it. Ports take any channel count.
  format_.sampleRate = jack_get_sample_rate(client_);
  running_ = true;
  supervisor_ = std::thread([this] { supervise(); });
  return format_;
}

void JackSink::stop() {
  {
    std::lock_guard<std::mutex> lock(sleepMutex_);
    running_ = false;
  }
  sleepWake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  close();
}

bool JackSink::open(std::string* error) {
  jack_status_t status{};
  // Never start a server: a receiver running as a service must not spawn one of its own.
  client_ = jack_client_open(config_.clientName.c_str(), JackNoStartServer, &status);
  if (client_ == nullptr) {
    *error = openError(status);
    return false;
  }
  for (const std::string& name : portNames_) {
    jack_port_t* port =
        jack_port_register(client_, name.c_str(), JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (port == nullptr) {
      *error = "JACK: cannot register port " + name;
      close();
      return false;
    }
    ports_.push_back(port);
  }
  jack_set_process_callback(client_, &JackSink::onProcess, this);
  jack_set_xrun_callback(client_, &JackSink::onXrun, this);
  jack_set_latency_callback(client_, &JackSink::onLatency, this);
  jack_on_info_shutdown(client_, &JackSink::onShutdown, this);
  // jack_get_time() is CLOCK_MONOTONIC in jackd2 on Linux; measured anyway, so the engine's
  // timestamps stay on its clock whatever the server uses.
  const int64_t before = monotonicNs();
  const jack_time_t jackUs = jack_get_time();
  const int64_t after = monotonicNs();
  clockOffsetNs_ = (before + after) / 2 - static_cast<int64_t>(jackUs) * 1000;
  playbackLatency_ = 0;
  latencyKnown_ = false;
  shutdownReason_[0] = '\0';
  serverGone_ = false;
  if (jack_activate(client_) != 0) {
    *error = "JACK: cannot activate the client on server '" + serverName() + "'";
    close();
    return false;
  }
  if (config_.autoconnect) {
    connectPorts();
  } else {
    latencyKnown_.store(true, std::memory_order_release);  // whoever connects us sets it later
  }
  spdlog::info("JACK: client {} on server '{}' at {} Hz, period {} frames, {} port{}{}",
               jack_get_client_name(client_), serverName(), jack_get_sample_rate(client_),
               jack_get_buffer_size(client_), ports_.size(), ports_.size() == 1 ? "" : "s",
               config_.autoconnect ? "" : " (not connected: -c)");
  return true;
}

void JackSink::connectPorts() {
  const char** physical = jack_get_ports(client_, nullptr, JACK_DEFAULT_AUDIO_TYPE,
                                         JackPortIsPhysical | JackPortIsInput);
  size_t count = 0;
  while (physical != nullptr && physical[count] != nullptr) ++count;
  if (count == 0) {
    spdlog::warn("JACK: no physical playback ports to connect to; connect {}:* yourself",
                 jack_get_client_name(client_));
  }
  uint32_t latency = 0;
  for (const JackConnection& c : jackConnectionPlan(format_.channelMask, format_.channels, count)) {
    const char* ours = jack_port_name(ports_[c.channel]);
    const int result = jack_connect(client_, ours, physical[c.physical]);
    if (result != 0 && result != EEXIST) {
      spdlog::warn("JACK: cannot connect {} to {}", ours, physical[c.physical]);
      continue;
    }
    spdlog::debug("JACK: connected {} to {}", ours, physical[c.physical]);
    // The latency callback follows a moment later; until then the card's own latency is the
    // right figure, and the engine primes its buffer from the first render on.
    jack_latency_range_t range{};
    jack_port_get_latency_range(jack_port_by_name(client_, physical[c.physical]),
                                JackPlaybackLatency, &range);
    latency = std::max(latency, range.max);
  }
  playbackLatency_.store(latency, std::memory_order_relaxed);
  latencyKnown_.store(true, std::memory_order_release);
  if (physical != nullptr) jack_free(physical);
}

void JackSink::close() {
  if (client_ == nullptr) return;
  jack_client_close(client_);  // deactivates first; fine after a server shutdown too
  client_ = nullptr;
  ports_.clear();
}

// ------------------------------------------------------------------ supervisor thread

void JackSink::supervise() {
  pthread_setname_np(pthread_self(), "jack-connect");
  uint64_t reportedXruns = 0;
  int64_t nextXrunReportNs = 0;
  uint32_t reportedLatency = 0;
  while (running_) {
    sleepMs(kPollMs);
    if (!running_) break;
    const uint64_t xruns = xruns_.load(std::memory_order_relaxed);
    if (xruns != reportedXruns && monotonicNs() >= nextXrunReportNs) {
      spdlog::info("JACK: {} xrun{} so far", xruns, xruns == 1 ? "" : "s");
      reportedXruns = xruns;
      nextXrunReportNs = monotonicNs() + kXrunReportNs;
    }
    const uint32_t latency = playbackLatency_.load(std::memory_order_relaxed);
    if (latency != reportedLatency) {
      spdlog::debug("JACK: {} frames from our ports to the speakers", latency);
      reportedLatency = latency;
    }
    if (!serverGone_.load(std::memory_order_acquire)) continue;

    spdlog::warn("JACK: server '{}' went away ({}); reconnecting", serverName(),
                 shutdownReason_[0] ? shutdownReason_ : "no reason given");
    close();
    int backoffMs = config_.minBackoffMs;
    std::string lastError;
    while (running_) {
      std::string error;
      if (open(&error)) break;
      if (error != lastError) spdlog::error("{}; retrying", error);
      lastError = error;
      retryingQuietly = true;
      sleepMs(backoffMs);
      backoffMs = std::min(backoffMs * 2, config_.maxBackoffMs);
    }
    retryingQuietly = false;
    if (client_ != nullptr && jack_get_sample_rate(client_) != format_.sampleRate) {
      // The engine resamples to the rate start() answered and cannot change it while running.
      spdlog::error(
          "JACK: the server now runs at {} Hz, not {} Hz: pitch is off until "
          "scream-recv restarts",
          jack_get_sample_rate(client_), format_.sampleRate);
    }
  }
}

void JackSink::sleepMs(int ms) {
  std::unique_lock<std::mutex> lock(sleepMutex_);
  sleepWake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return !running_; });
}

// ------------------------------------------------------------------ JACK threads

int JackSink::onProcess(jack_nframes_t frames, void* self) {
  return static_cast<JackSink*>(self)->process(frames);
}

int JackSink::onXrun(void* self) {
  static_cast<JackSink*>(self)->xruns_.fetch_add(1, std::memory_order_relaxed);
  return 0;
}

// Called when the graph's latencies change: how long after our port a frame reaches a speaker.
void JackSink::onLatency(jack_latency_callback_mode_t mode, void* self) {
  auto* sink = static_cast<JackSink*>(self);
  if (mode != JackPlaybackLatency || sink->ports_.empty()) return;
  jack_latency_range_t range{};
  jack_port_get_latency_range(sink->ports_[0], JackPlaybackLatency, &range);
  sink->playbackLatency_.store(range.max, std::memory_order_relaxed);
  sink->latencyKnown_.store(true, std::memory_order_release);
}

// May run on the process thread: only copies the reason and raises a flag for the supervisor.
void JackSink::onShutdown(jack_status_t, const char* reason, void* self) {
  auto* sink = static_cast<JackSink*>(self);
  std::strncpy(sink->shutdownReason_, reason ? reason : "", sizeof sink->shutdownReason_ - 1);
  sink->serverGone_.store(true, std::memory_order_release);
}

// Real time: renders interleaved float from the engine into the preallocated scratch buffer and
// spreads it over the port buffers. No locks, allocation or logging.
int JackSink::process(jack_nframes_t frames) noexcept {
  inProcessThread = true;
  const size_t channels = ports_.size();
  std::array<float*, protocol::kMaxChannels> buffers{};
  for (size_t ch = 0; ch < channels; ++ch) {
    buffers[ch] = static_cast<float*>(jack_port_get_buffer(ports_[ch], frames));
  }
  if (!latencyKnown_.load(std::memory_order_acquire)) {
    for (size_t ch = 0; ch < channels; ++ch) std::fill(buffers[ch], buffers[ch] + frames, 0.0f);
    return 0;
  }
  // JACK's latencies count from the start of the cycle: the first frame of this cycle's output
  // plays `downstream` frames after the cycle began. JACK's filtered cycle start is a steadier
  // "now" than reading the clock here, and the same instant the latency is measured from.
  const double downstream = playbackLatency_.load(std::memory_order_relaxed);
  PlaybackTiming timing;
  jack_nframes_t cycleFrames = 0;
  jack_time_t cycleUs = 0, nextUs = 0;
  float periodUs = 0;
  if (jack_get_cycle_times(client_, &cycleFrames, &cycleUs, &nextUs, &periodUs) == 0) {
    timing.nowNs = static_cast<int64_t>(cycleUs) * 1000 + clockOffsetNs_;
  } else {
    timing.nowNs = monotonicNs();
  }
  timing.deviceDelayFrames = downstream;
  timing.channels = static_cast<unsigned>(channels);
  const double delayAtStart = timing.deviceDelayFrames;
  for (size_t done = 0; done < frames;) {
    const size_t n = std::min<size_t>(frames - done, config_.maxBlockFrames);
    timing.deviceDelayFrames = delayAtStart + static_cast<double>(done);
    source_->render(interleaved_.data(), n, timing);
    const float* in = interleaved_.data();
    for (size_t i = 0; i < n; ++i) {
      for (size_t ch = 0; ch < channels; ++ch) buffers[ch][done + i] = *in++;
    }
    done += n;
  }
  return 0;
}

}  // namespace scream::receiver
