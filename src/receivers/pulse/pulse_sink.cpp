#include "pulse_sink.h"

#include <pthread.h>
#include <pulse/error.h>
#include <pulse/proplist.h>
#include <pulse/rtclock.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "pulse_channel_map.h"
#include "pulse_probe.h"
#include "receivers/core/monotonic_clock.h"

namespace scream::receiver {

namespace {

constexpr int kRealtimePriority = 5;  // below PulseAudio's own (9) and JACK's (~70)
// A request that finds less than this many periods queued is a near miss (noteDelay).
constexpr double kNearMissPeriods = 2;
constexpr pa_usec_t kBufferCheckUsec = 5'000'000;  // how often the buffer may come down

// PULSE_LATENCY_MSEC is libpulse's own knob for a stream's buffer (it overrides tlength at
// connect); honour it here too so the growth on underflow starts from it.
int initialPeriods(const PulseSinkConfig& config) {
  const char* env = std::getenv("PULSE_LATENCY_MSEC");
  const double ms = env ? std::atof(env) : 0;
  if (ms <= 0) return config.periods;
  return std::min(config.maxPeriods, static_cast<int>(std::ceil(ms / config.periodMs)));
}

pa_proplist* makeProplist() {
  pa_proplist* props = pa_proplist_new();
  pa_proplist_sets(props, PA_PROP_APPLICATION_NAME, "Scream receiver");
  pa_proplist_sets(props, PA_PROP_APPLICATION_ICON_NAME, "audio-card");
  pa_proplist_sets(props, PA_PROP_MEDIA_ROLE, "music");
  return props;
}

std::string noServerMessage(const std::string& reason) {
  return "PulseAudio: no server at " + pulseServerAddress() + " yet; retrying (" + reason + ")";
}

}  // namespace

PulseSink::PulseSink(PulseSinkConfig config) : config_(std::move(config)) {}

PulseSink::~PulseSink() { stop(); }

std::string PulseSink::describe() const {
  return config_.sink.empty() ? std::string("pulse") : "pulse:" + config_.sink;
}

SinkFormat PulseSink::start(const SinkFormat& wanted, AudioSource& source) {
  if (running_) throw std::logic_error("pulse sink already started");
  const pa_sample_spec spec{PA_SAMPLE_FLOAT32NE, wanted.sampleRate, wanted.channels};
  if (!pa_sample_spec_valid(&spec)) {
    throw std::runtime_error("PulseAudio cannot play " + std::to_string(wanted.sampleRate) +
                             " Hz with " + std::to_string(wanted.channels) + " channels");
  }
  format_ = wanted;
  frameBytes_ = pa_frame_size(&spec);
  source_ = &source;
  loop_ = pa_threaded_mainloop_new();
  if (loop_ == nullptr || pa_threaded_mainloop_start(loop_) < 0) {
    if (loop_ != nullptr) pa_threaded_mainloop_free(loop_);
    loop_ = nullptr;
    throw std::runtime_error("PulseAudio: cannot start the client main loop");
  }
  // The write callback must answer within a period: ask for real-time scheduling for the
  // mainloop thread, as PulseAudio clients do (best effort; the result is logged later).
  pa_threaded_mainloop_lock(loop_);
  pa_mainloop_api_once(pa_threaded_mainloop_get_api(loop_), &PulseSink::raisePriority, this);
  pa_threaded_mainloop_unlock(loop_);
  DeviceBufferPolicy::Config policy;
  policy.initialPeriods = initialPeriods(config_);
  policy.maxPeriods = config_.maxPeriods;
  buffer_.emplace(policy, monotonicNs());
  running_ = true;
  supervisor_ = std::thread([this] { supervise(); });
  // PulseAudio converts rate, layout and sample format to the sink's: any format is fine.
  return wanted;
}

void PulseSink::stop() {
  if (!loop_) return;
  {
    std::lock_guard<std::mutex> lock(sleepMutex_);
    running_ = false;
  }
  sleepWake_.notify_all();
  pa_threaded_mainloop_lock(loop_);
  pa_threaded_mainloop_signal(loop_, 0);
  pa_threaded_mainloop_unlock(loop_);
  if (supervisor_.joinable()) supervisor_.join();
  pa_threaded_mainloop_stop(loop_);
  pa_threaded_mainloop_free(loop_);
  loop_ = nullptr;
}

// ------------------------------------------------------------------ supervisor thread

void PulseSink::supervise() {
  pthread_setname_np(pthread_self(), "pulse-connect");
  pa_threaded_mainloop_lock(loop_);
  while (!priorityTried_) pa_threaded_mainloop_wait(loop_);
  const bool realtime = realtime_;
  pa_threaded_mainloop_unlock(loop_);
  if (realtime) {
    spdlog::debug("PulseAudio: audio thread runs SCHED_FIFO {}", kRealtimePriority);
  } else {
    spdlog::info("PulseAudio: no real-time priority for the audio thread (needs CAP_SYS_NICE or "
                 "an RLIMIT_RTPRIO); a busy machine may cause dropouts");
  }
  // Each cause is said once, not on every attempt: messages are compared without the detail in
  // parentheses.
  auto cause = [](const std::string& message) { return message.substr(0, message.find(" (")); };
  int backoffMs = config_.minBackoffMs;
  std::string lastCause;
  while (running_) {
    std::string error;
    pa_threaded_mainloop_lock(loop_);
    const Outcome outcome = connectAndPlay(&error);
    teardownLocked();
    pa_threaded_mainloop_unlock(loop_);
    if (outcome == Outcome::kStopped) break;
    if (outcome == Outcome::kLost) {
      spdlog::warn("{}; reconnecting", error);
      backoffMs = config_.minBackoffMs;
      lastCause = cause(noServerMessage(""));  // most likely next, and already implied
    } else if (cause(error) != lastCause) {
      spdlog::error("{}", error);
      lastCause = cause(error);
    }
    sleepMs(backoffMs);
    backoffMs = std::min(backoffMs * 2, config_.maxBackoffMs);
  }
}

void PulseSink::waitLocked(const std::function<bool()>& done) {
  while (running_ && !done()) pa_threaded_mainloop_wait(loop_);
}

PulseSink::Outcome PulseSink::connectAndPlay(std::string* error) {
  pa_proplist* props = makeProplist();
  context_ = pa_context_new_with_proplist(pa_threaded_mainloop_get_api(loop_), "Scream receiver",
                                          props);
  pa_context_set_state_callback(context_, &PulseSink::onContextState, this);
  const std::string server = pulseServerAddress();
  // No autospawn: a receiver running as a service must not start a sound server of its own.
  if (pa_context_connect(context_, nullptr, PA_CONTEXT_NOAUTOSPAWN, nullptr) >= 0) {
    waitLocked([this] {
      const pa_context_state_t s = pa_context_get_state(context_);
      return s == PA_CONTEXT_READY || !PA_CONTEXT_IS_GOOD(s);
    });
  }
  if (!running_) return pa_proplist_free(props), Outcome::kStopped;
  if (pa_context_get_state(context_) != PA_CONTEXT_READY) {
    *error = noServerMessage(pa_strerror(pa_context_errno(context_)));
    pa_proplist_free(props);
    return Outcome::kNoServer;
  }

  const pa_sample_spec spec{PA_SAMPLE_FLOAT32NE, format_.sampleRate, format_.channels};
  const pa_channel_map map = pulseChannelMap(format_.channelMask, format_.channels);
  stream_ = pa_stream_new_with_proplist(context_, config_.streamName.c_str(), &spec, &map, props);
  pa_proplist_free(props);
  if (stream_ == nullptr) {
    *error = std::string("PulseAudio: cannot create a stream: ") +
             pa_strerror(pa_context_errno(context_));
    return Outcome::kNoStream;
  }
  pa_stream_set_state_callback(stream_, &PulseSink::onStreamState, this);
  pa_stream_set_write_callback(stream_, &PulseSink::onWrite, this);
  pa_stream_set_underflow_callback(stream_, &PulseSink::onUnderflow, this);

  const pa_buffer_attr attr = adoptBufferAttr();
  const auto flags = static_cast<pa_stream_flags_t>(
      PA_STREAM_ADJUST_LATENCY | PA_STREAM_INTERPOLATE_TIMING | PA_STREAM_AUTO_TIMING_UPDATE);
  lastDelayFrames_ = 0;
  delayKnown_ = false;
  closestDelayFrames_ = kNoDelay;
  lastCallbackNs_ = 0;
  const char* device = config_.sink.empty() ? nullptr : config_.sink.c_str();
  if (pa_stream_connect_playback(stream_, device, &attr, flags, nullptr, nullptr) >= 0) {
    waitLocked([this] {
      const pa_stream_state_t s = pa_stream_get_state(stream_);
      return s == PA_STREAM_READY || !PA_STREAM_IS_GOOD(s) ||
             pa_context_get_state(context_) != PA_CONTEXT_READY;
    });
  }
  if (!running_) return Outcome::kStopped;
  if (pa_stream_get_state(stream_) != PA_STREAM_READY) {
    const int code = pa_context_errno(context_);
    if (code == PA_ERR_NOENTITY && device != nullptr) {
      *error = "PulseAudio: no sink named '" + config_.sink + "' on " + server +
               "; retrying (it may appear later)";
    } else {
      *error = std::string("PulseAudio: cannot open a playback stream on ") + server +
               "; retrying (" + pa_strerror(code) + ")";
    }
    return Outcome::kNoStream;
  }

  const pa_buffer_attr* got = pa_stream_get_buffer_attr(stream_);
  const std::string sinkName = pa_stream_get_device_name(stream_);
  const double msPerByte = 1000.0 / (format_.sampleRate * static_cast<double>(frameBytes_));
  pa_threaded_mainloop_unlock(loop_);
  spdlog::info("PulseAudio: playing on sink {} at {} ({} Hz, {} channels; server buffer "
               "{:.1f} ms, request {:.1f} ms)",
               sinkName, server, format_.sampleRate, format_.channels, got->tlength * msPerByte,
               got->minreq * msPerByte);
  pa_threaded_mainloop_lock(loop_);

  uint64_t reportedUnderflows = underflows_.load();
  uint64_t reportedNearMisses = nearMisses_.load();
  bufferCheckDue_ = false;
  buffer_->restartQuiet(monotonicNs());  // time spent disconnected was not quiet
  pa_time_event* check = pa_context_rttime_new(context_, pa_rtclock_now() + kBufferCheckUsec,
                                               &PulseSink::onBufferCheck, this);
  const auto freeCheck = [&] {
    if (check != nullptr) pa_threaded_mainloop_get_api(loop_)->time_free(check);
  };
  const auto playing = [this] {
    return pa_context_get_state(context_) == PA_CONTEXT_READY &&
           pa_stream_get_state(stream_) == PA_STREAM_READY;
  };
  for (;;) {
    waitLocked([&] {
      return !playing() || underflows_ != reportedUnderflows ||
             nearMisses_ != reportedNearMisses || bufferCheckDue_;
    });
    if (!running_) return freeCheck(), Outcome::kStopped;
    // (First: a buffer change on a dead stream would overwrite the error that says why.)
    if (!playing()) break;
    const bool ranEmpty = underflows_ != reportedUnderflows;
    const bool nearMiss = nearMisses_ != reportedNearMisses;
    const int64_t now = monotonicNs();
    if (!ranEmpty && !nearMiss) {
      bufferCheckDue_ = false;
      if (buffer_->onQuietCheck(now)) {
        applyBufferLocked();
        const double bufferMs = buffer_->periods() * config_.periodMs;
        pa_threaded_mainloop_unlock(loop_);
        spdlog::info("PulseAudio: no underflow or near miss for a minute; lowering the server "
                     "buffer to {:.0f} ms", bufferMs);
        pa_threaded_mainloop_lock(loop_);
      }
      continue;
    }
    reportedUnderflows = underflows_.load();
    reportedNearMisses = nearMisses_.load();
    const bool raised = buffer_->onTrouble(now, ranEmpty);
    if (raised) applyBufferLocked();
    // (The closest since the last raise.)
    const double closestMs = raised ? closestDelayFrames_.exchange(kNoDelay) * 1000.0 / format_.sampleRate : 0;
    const double bufferMs = buffer_->periods() * config_.periodMs;
    pa_threaded_mainloop_unlock(loop_);
    if (ranEmpty && raised) {
      spdlog::info("PulseAudio: server buffer ran empty; raising it to {:.0f} ms", bufferMs);
    } else if (ranEmpty) {
      spdlog::info("PulseAudio: server buffer ran empty (at its largest, {:.0f} ms)", bufferMs);
    } else if (raised) {
      spdlog::info("PulseAudio: server buffer came within {:.1f} ms of running empty; raising it "
                   "to {:.0f} ms", closestMs, bufferMs);
    }
    if (ranEmpty) {
      spdlog::debug("PulseAudio: server buffer ran empty ({} times so far; longest gap between "
                    "requests {:.1f} ms, longest render {:.2f} ms)",
                    reportedUnderflows, maxGapNs_.exchange(0) * 1e-6,
                    maxRenderNs_.exchange(0) * 1e-6);
    }
    pa_threaded_mainloop_lock(loop_);
  }
  freeCheck();
  const int code = pa_context_errno(context_);
  *error = "PulseAudio: lost the stream on " + server + " (" + pa_strerror(code) + ")";
  return Outcome::kLost;
}

// The buffer the policy says, and what follows from it for the audio thread.
pa_buffer_attr PulseSink::adoptBufferAttr() {
  const pa_buffer_attr attr = bufferAttr();
  configuredDelayFrames_ = static_cast<double>(attr.tlength / frameBytes_);
  nearMissFrames_ = nearMissFrames();
  return attr;
}

void PulseSink::applyBufferLocked() {
  const pa_buffer_attr attr = adoptBufferAttr();
  if (pa_operation* op = pa_stream_set_buffer_attr(stream_, &attr, nullptr, nullptr)) {
    pa_operation_unref(op);
  }
}

// The engine's jitter buffer holds the latency; the server holds a few periods, as many as
// DeviceBufferPolicy says: a period more on each underflow or near miss (the server's and our
// thread's wake-ups are late by more than a period on busy or virtual machines, 10-30 ms
// measured on the test VM), a period less after a quiet minute.
pa_buffer_attr PulseSink::bufferAttr() const {
  const auto period = static_cast<uint32_t>(
      std::max(1.0, format_.sampleRate * config_.periodMs / 1000.0) * frameBytes_);
  pa_buffer_attr attr;
  attr.maxlength = static_cast<uint32_t>(-1);
  attr.tlength = static_cast<uint32_t>(buffer_->periods()) * period;
  attr.prebuf = static_cast<uint32_t>(-1);  // = tlength: start once the buffer is full
  attr.minreq = period;
  attr.fragsize = static_cast<uint32_t>(-1);
  return attr;
}

void PulseSink::teardownLocked() {
  if (stream_ != nullptr) {
    pa_stream_set_state_callback(stream_, nullptr, nullptr);
    pa_stream_set_write_callback(stream_, nullptr, nullptr);
    pa_stream_set_underflow_callback(stream_, nullptr, nullptr);
    if (PA_STREAM_IS_GOOD(pa_stream_get_state(stream_))) pa_stream_disconnect(stream_);
    pa_stream_unref(stream_);
    stream_ = nullptr;
  }
  if (context_ != nullptr) {
    pa_context_set_state_callback(context_, nullptr, nullptr);
    pa_context_disconnect(context_);
    pa_context_unref(context_);
    context_ = nullptr;
  }
}

void PulseSink::sleepMs(int ms) {
  std::unique_lock<std::mutex> lock(sleepMutex_);
  sleepWake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return !running_; });
}

// ------------------------------------------------------------------ mainloop thread

void PulseSink::raisePriority(pa_mainloop_api*, void* self) {
  sched_param param{};
  param.sched_priority = kRealtimePriority;
  auto* sink = static_cast<PulseSink*>(self);
  sink->realtime_ = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
  sink->priorityTried_ = true;
  pa_threaded_mainloop_signal(sink->loop_, 0);
}

void PulseSink::onContextState(pa_context*, void* self) {
  pa_threaded_mainloop_signal(static_cast<PulseSink*>(self)->loop_, 0);
}

void PulseSink::onStreamState(pa_stream*, void* self) {
  pa_threaded_mainloop_signal(static_cast<PulseSink*>(self)->loop_, 0);
}

// Every kBufferCheckUsec: the supervisor looks whether the server buffer can come down.
void PulseSink::onBufferCheck(pa_mainloop_api*, pa_time_event* event, const timeval*, void* self) {
  auto* sink = static_cast<PulseSink*>(self);
  sink->bufferCheckDue_ = true;
  pa_context_rttime_restart(sink->context_, event, pa_rtclock_now() + kBufferCheckUsec);
  pa_threaded_mainloop_signal(sink->loop_, 0);
}

void PulseSink::onUnderflow(pa_stream*, void* self) {
  auto* sink = static_cast<PulseSink*>(self);
  sink->underflows_.fetch_add(1, std::memory_order_relaxed);
  pa_threaded_mainloop_signal(sink->loop_, 0);
}

void PulseSink::onWrite(pa_stream*, size_t bytes, void* self) {
  static_cast<PulseSink*>(self)->write(bytes);
}

// What plays before the next frame written: the stream's queue plus the sink's own latency,
// interpolated between the server's timing updates. Until the server has sent timing once,
// the buffer we asked for stands in (and says so): the first callbacks come before it, and a
// delay of 0 then would have the engine prime too little and run dry at once.
double PulseSink::delayFrames(bool* valid) noexcept {
  pa_usec_t usec = 0;
  int negative = 0;
  if (pa_stream_get_latency(stream_, &usec, &negative) == 0) {
    lastDelayFrames_ = negative ? 0.0 : static_cast<double>(usec) * format_.sampleRate * 1e-6;
    delayKnown_ = true;
  }
  *valid = delayKnown_;
  return delayKnown_ ? lastDelayFrames_ : configuredDelayFrames_.load(std::memory_order_relaxed);
}

// What a request must find queued not to be a near miss: two periods, but no more than 40 % of a
// small buffer (PULSE_LATENCY_MSEC=10: every request would be one). At its largest a near miss
// cannot raise the buffer, but it still keeps it from coming down.
double PulseSink::nearMissFrames() const {
  const double periods = std::min(kNearMissPeriods, 0.4 * buffer_->periods());
  return periods * config_.periodMs * format_.sampleRate / 1000.0;
}

// Grow the server buffer before it runs empty: a request that finds less than two periods
// queued (the server's or this thread's wake-up came that late) is a near miss, and the next
// one, a little later, would have been an underflow (measured on this VM under load: requests
// 15-30 ms apart, the queue at callback ~24.5 ms minus the gap, underflows beyond ~20 ms).
// Real time: an atomic and a condition signal, no lock, no logging.
void PulseSink::noteDelay(double frames) noexcept {
  if (frames >= nearMissFrames_.load(std::memory_order_relaxed)) return;
  if (frames < closestDelayFrames_.load(std::memory_order_relaxed)) {
    closestDelayFrames_.store(frames, std::memory_order_relaxed);
  }
  nearMisses_.fetch_add(1, std::memory_order_relaxed);
  pa_threaded_mainloop_signal(loop_, 0);
}

// Diagnostics for underflows: the longest gap between callbacks and the longest render.
void PulseSink::noteTimes(int64_t renderStartNs, int64_t renderEndNs) noexcept {
  if (lastCallbackNs_ != 0) {
    const int64_t gap = renderStartNs - lastCallbackNs_;
    if (gap > maxGapNs_.load(std::memory_order_relaxed)) {
      maxGapNs_.store(gap, std::memory_order_relaxed);
    }
  }
  lastCallbackNs_ = renderStartNs;
  const int64_t took = renderEndNs - renderStartNs;
  if (took > maxRenderNs_.load(std::memory_order_relaxed)) {
    maxRenderNs_.store(took, std::memory_order_relaxed);
  }
}

// Real time: renders straight into the server's memory block; no locks, allocation or logging.
void PulseSink::write(size_t bytes) noexcept {
  while (bytes >= frameBytes_) {
    void* data = nullptr;
    size_t size = bytes;
    if (pa_stream_begin_write(stream_, &data, &size) < 0 || data == nullptr) return;
    const size_t frames = std::min(size, bytes) / frameBytes_;
    if (frames == 0) {
      pa_stream_cancel_write(stream_);
      return;
    }
    PlaybackTiming timing;
    timing.nowNs = monotonicNs();
    timing.deviceDelayFrames = delayFrames(&timing.delayValid);
    if (timing.delayValid) noteDelay(timing.deviceDelayFrames);
    timing.channels = format_.channels;
    source_->render(static_cast<float*>(data), frames, timing);
    noteTimes(timing.nowNs, monotonicNs());
    if (pa_stream_write(stream_, data, frames * frameBytes_, nullptr, 0, PA_SEEK_RELATIVE) < 0) {
      return;
    }
    bytes -= frames * frameBytes_;
  }
}

}  // namespace scream::receiver
