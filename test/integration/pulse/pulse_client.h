// A PulseAudio client with one stream on its own threaded main loop: connects the context, lets
// the owner create and connect its stream, waits until it is ready, and takes it all down again.
// Shared by the test recorder and the benchmark's known-path player.
#pragma once

#include <pulse/context.h>
#include <pulse/stream.h>
#include <pulse/thread-mainloop.h>

#include <functional>
#include <string>

namespace scream::testing {

class PulseClient {
 public:
  PulseClient() = default;
  PulseClient(const PulseClient&) = delete;
  PulseClient& operator=(const PulseClient&) = delete;
  ~PulseClient() { close(); }

  // makeStream runs with the loop locked and the context ready: it creates the stream, sets its
  // read or write callback and connects it. Returns once the stream is ready (or failed).
  bool open(const std::string& clientName, const std::function<pa_stream*(pa_context*)>& makeStream,
            std::string* error);
  // No callback runs after this returns.
  void close();
  bool isOpen() const { return loop_ != nullptr; }

 private:
  static void onContextState(pa_context* context, void* self);
  static void onStreamState(pa_stream* stream, void* self);

  pa_threaded_mainloop* loop_ = nullptr;
  pa_context* context_ = nullptr;
  pa_stream* stream_ = nullptr;
};

}  // namespace scream::testing
