#include "sender/pulse_source.h"

#include <pulse/context.h>
#include <pulse/error.h>
#include <pulse/introspect.h>
#include <pulse/simple.h>
#include <pulse/thread-mainloop.h>
#include <spdlog/spdlog.h>

#include "receivers/pulse/pulse_channel_map.h"

namespace scream::sender {

namespace {

pa_sample_format_t sampleFormat(uint8_t bits) {
  switch (bits) {
    case 16: return PA_SAMPLE_S16LE;
    case 24: return PA_SAMPLE_S24LE;
    default: return PA_SAMPLE_S32LE;
  }
}

// The result of one asynchronous request, filled in by its callback on the mainloop thread.
struct Reply {
  pa_threaded_mainloop* mainloop;
  bool done = false;
  bool found = false;
  uint32_t index = PA_INVALID_INDEX;
};

// With the mainloop locked: waits for the callback of `op` to fill in `reply`.
void await(pa_operation* op, Reply& reply) {
  if (op == nullptr) return;
  while (!reply.done && pa_operation_get_state(op) == PA_OPERATION_RUNNING) {
    pa_threaded_mainloop_wait(reply.mainloop);
  }
  pa_operation_unref(op);
}

std::string contextError(pa_context* context) {
  return pa_strerror(pa_context_errno(context));
}

}  // namespace

PulseSource::PulseSource(const protocol::Format& format, std::string sinkName)
    : format_(format), sinkName_(std::move(sinkName)), moduleIndex_(PA_INVALID_INDEX) {}

std::unique_ptr<PulseSource> PulseSource::open(const protocol::Format& format,
                                               const std::string& sinkName, uint32_t burstMs,
                                               std::string* error) {
  std::unique_ptr<PulseSource> source(new PulseSource(format, sinkName));
  if (!source->connect(error) || !source->loadSink(error) ||
      !source->startRecording(burstMs, error)) {
    return nullptr;  // the destructor removes a sink already created
  }
  return source;
}

bool PulseSource::connect(std::string* error) {
  mainloop_ = pa_threaded_mainloop_new();
  context_ = pa_context_new(pa_threaded_mainloop_get_api(mainloop_), "scream-send");
  pa_context_set_state_callback(
      context_,
      [](pa_context*, void* mainloop) {
        pa_threaded_mainloop_signal(static_cast<pa_threaded_mainloop*>(mainloop), 0);
      },
      mainloop_);
  pa_threaded_mainloop_lock(mainloop_);
  pa_threaded_mainloop_start(mainloop_);
  bool ready = pa_context_connect(context_, nullptr, PA_CONTEXT_NOAUTOSPAWN, nullptr) >= 0;
  while (ready) {
    const pa_context_state_t state = pa_context_get_state(context_);
    if (state == PA_CONTEXT_READY) break;
    if (!PA_CONTEXT_IS_GOOD(state))
      ready = false;
    else
      pa_threaded_mainloop_wait(mainloop_);
  }
  if (!ready) *error = "cannot connect to the PulseAudio server: " + contextError(context_);
  pa_threaded_mainloop_unlock(mainloop_);
  return ready;
}

bool PulseSource::loadSink(std::string* error) {
  pa_threaded_mainloop_lock(mainloop_);
  // A second null sink of the same name would get a ".2" suffix and nobody would play into it.
  Reply existing{mainloop_};
  await(pa_context_get_sink_info_by_name(
            context_, sinkName_.c_str(),
            [](pa_context*, const pa_sink_info* info, int eol, void* data) {
              auto* reply = static_cast<Reply*>(data);
              if (info != nullptr) reply->found = true;
              if (eol != 0) reply->done = true, pa_threaded_mainloop_signal(reply->mainloop, 0);
            },
            &existing),
        existing);
  if (existing.found) {
    pa_threaded_mainloop_unlock(mainloop_);
    *error = "a sink named " + sinkName_ +
             " already exists (another scream-send, or one that was killed: `pactl list short"
             " modules` shows its module to unload); choose another --sink-name";
    return false;
  }

  const pa_channel_map map = receiver::pulseChannelMap(format_.channelMask, format_.channels);
  char mapText[PA_CHANNEL_MAP_SNPRINT_MAX];
  pa_channel_map_snprint(mapText, sizeof mapText, &map);
  const std::string arguments =
      "sink_name=" + sinkName_ +
      " format=" + pa_sample_format_to_string(sampleFormat(format_.bitsPerSample)) +
      " rate=" + std::to_string(format_.sampleRate) +
      " channels=" + std::to_string(format_.channels) + " channel_map=" + mapText +
      " sink_properties=device.description=" + sinkName_;
  Reply loaded{mainloop_};
  await(pa_context_load_module(
            context_, "module-null-sink", arguments.c_str(),
            [](pa_context*, uint32_t index, void* data) {
              auto* reply = static_cast<Reply*>(data);
              reply->index = index;
              reply->done = true;
              pa_threaded_mainloop_signal(reply->mainloop, 0);
            },
            &loaded),
        loaded);
  moduleIndex_ = loaded.index;
  if (moduleIndex_ == PA_INVALID_INDEX) {
    *error = "cannot create the null sink (module-null-sink " + arguments +
             "): " + contextError(context_);
  }
  pa_threaded_mainloop_unlock(mainloop_);
  return moduleIndex_ != PA_INVALID_INDEX;
}

bool PulseSource::startRecording(uint32_t burstMs, std::string* error) {
  const pa_sample_spec spec{sampleFormat(format_.bitsPerSample), format_.sampleRate,
                            format_.channels};
  const pa_channel_map map = receiver::pulseChannelMap(format_.channelMask, format_.channels);
  // Fragments of one burst: the server hands over what was played about every burst.
  pa_buffer_attr attr{};
  attr.maxlength = UINT32_MAX;
  attr.tlength = attr.prebuf = attr.minreq = UINT32_MAX;
  attr.fragsize = static_cast<uint32_t>(pa_usec_to_bytes(uint64_t{burstMs} * 1000, &spec));
  const std::string monitor = sinkName_ + ".monitor";
  int code = 0;
  recording_ = pa_simple_new(nullptr, "scream-send", PA_STREAM_RECORD, monitor.c_str(),
                             "Scream sender", &spec, &map, &attr, &code);
  if (recording_ == nullptr) {
    *error = "cannot record " + monitor + ": " + pa_strerror(code);
    return false;
  }
  return true;
}

size_t PulseSource::read(uint8_t* out, size_t frames) {
  int code = 0;
  if (pa_simple_read(recording_, out, frames * format_.bytesPerFrame(), &code) < 0) {
    spdlog::error("recording {}.monitor failed: {}", sinkName_, pa_strerror(code));
    return 0;
  }
  return frames;
}

void PulseSource::unloadSink() {
  if (moduleIndex_ == PA_INVALID_INDEX) return;
  pa_threaded_mainloop_lock(mainloop_);
  if (pa_context_get_state(context_) == PA_CONTEXT_READY) {
    Reply unloaded{mainloop_};
    await(pa_context_unload_module(
              context_, moduleIndex_,
              [](pa_context*, int, void* data) {
                auto* reply = static_cast<Reply*>(data);
                reply->done = true;
                pa_threaded_mainloop_signal(reply->mainloop, 0);
              },
              &unloaded),
          unloaded);
  }
  pa_threaded_mainloop_unlock(mainloop_);
  moduleIndex_ = PA_INVALID_INDEX;
}

PulseSource::~PulseSource() {
  if (recording_ != nullptr) pa_simple_free(recording_);
  if (mainloop_ == nullptr) return;
  unloadSink();
  pa_threaded_mainloop_stop(mainloop_);
  pa_context_disconnect(context_);
  pa_context_unref(context_);
  pa_threaded_mainloop_free(mainloop_);
}

}  // namespace scream::sender
