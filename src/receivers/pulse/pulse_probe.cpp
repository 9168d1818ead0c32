#include "pulse_probe.h"

#include <pulse/context.h>
#include <pulse/mainloop.h>
#include <time.h>

#include <cstdlib>

namespace scream::receiver {

namespace {

int64_t monotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

bool pulseServerAnswers(int timeoutMs) {
  pa_mainloop* loop = pa_mainloop_new();
  if (loop == nullptr) return false;
  pa_context* context = pa_context_new(pa_mainloop_get_api(loop), "Scream receiver probe");
  bool ready = false;
  if (context != nullptr &&
      pa_context_connect(context, nullptr, PA_CONTEXT_NOAUTOSPAWN, nullptr) >= 0) {
    const int64_t deadline = monotonicMs() + timeoutMs;
    for (;;) {
      const pa_context_state_t state = pa_context_get_state(context);
      if (state == PA_CONTEXT_READY) ready = true;
      if (ready || !PA_CONTEXT_IS_GOOD(state)) break;
      const int64_t left = deadline - monotonicMs();
      if (left <= 0) break;
      // A blocking iteration bounded by the deadline (a TCP server may not answer at all).
      if (pa_mainloop_prepare(loop, static_cast<int>(left * 1000)) < 0 ||
          pa_mainloop_poll(loop) < 0 || pa_mainloop_dispatch(loop) < 0) {
        break;
      }
    }
    pa_context_disconnect(context);
  }
  if (context != nullptr) pa_context_unref(context);
  pa_mainloop_free(loop);
  return ready;
}

std::string pulseServerAddress() {
  if (const char* server = std::getenv("PULSE_SERVER"); server && *server) return server;
  if (const char* runtime = std::getenv("PULSE_RUNTIME_PATH"); runtime && *runtime) {
    return std::string("unix:") + runtime + "/native";
  }
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime) {
    return std::string("unix:") + runtime + "/pulse/native";
  }
  return "the default address";
}

}  // namespace scream::receiver
