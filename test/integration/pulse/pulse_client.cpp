#include "pulse_client.h"

#include <pulse/error.h>

namespace scream::testing {

void PulseClient::onContextState(pa_context*, void* self) {
  pa_threaded_mainloop_signal(static_cast<PulseClient*>(self)->loop_, 0);
}

void PulseClient::onStreamState(pa_stream*, void* self) {
  pa_threaded_mainloop_signal(static_cast<PulseClient*>(self)->loop_, 0);
}

bool PulseClient::open(const std::string& clientName,
                       const std::function<pa_stream*(pa_context*)>& makeStream, std::string* error) {
  loop_ = pa_threaded_mainloop_new();
  pa_threaded_mainloop_start(loop_);
  pa_threaded_mainloop_lock(loop_);
  context_ = pa_context_new(pa_threaded_mainloop_get_api(loop_), clientName.c_str());
  pa_context_set_state_callback(context_, &PulseClient::onContextState, this);
  pa_context_connect(context_, nullptr, PA_CONTEXT_NOAUTOSPAWN, nullptr);
  while (PA_CONTEXT_IS_GOOD(pa_context_get_state(context_)) &&
         pa_context_get_state(context_) != PA_CONTEXT_READY)
    pa_threaded_mainloop_wait(loop_);
  bool ok = pa_context_get_state(context_) == PA_CONTEXT_READY;
  if (ok) {
    stream_ = makeStream(context_);
    ok = stream_ != nullptr;
  }
  if (ok) {
    // Set while the loop is locked: no state change can have been signalled yet.
    pa_stream_set_state_callback(stream_, &PulseClient::onStreamState, this);
    while (PA_STREAM_IS_GOOD(pa_stream_get_state(stream_)) &&
           pa_stream_get_state(stream_) != PA_STREAM_READY)
      pa_threaded_mainloop_wait(loop_);
    ok = pa_stream_get_state(stream_) == PA_STREAM_READY;
  }
  if (!ok) *error = pa_strerror(pa_context_errno(context_));
  pa_threaded_mainloop_unlock(loop_);
  return ok;
}

void PulseClient::close() {
  if (loop_ == nullptr) return;
  pa_threaded_mainloop_lock(loop_);
  if (stream_) {
    pa_stream_set_read_callback(stream_, nullptr, nullptr);
    pa_stream_set_write_callback(stream_, nullptr, nullptr);
    pa_stream_set_state_callback(stream_, nullptr, nullptr);
    pa_stream_disconnect(stream_);
    pa_stream_unref(stream_);
    stream_ = nullptr;
  }
  pa_context_disconnect(context_);
  pa_context_unref(context_);
  context_ = nullptr;
  pa_threaded_mainloop_unlock(loop_);
  pa_threaded_mainloop_stop(loop_);
  pa_threaded_mainloop_free(loop_);
  loop_ = nullptr;
}

}  // namespace scream::testing
