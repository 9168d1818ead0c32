// `jack`: a JACK client with one input port per channel, named by speaker position from the mask
// ("FL", "FR", "FC", "LFE", ...), so JACK applications connect to e.g. scream-send:FL. The JACK
// server's clock paces the stream and sets the sample rate.
#pragma once

#include <jack/ringbuffer.h>
#include <jack/types.h>
#include <semaphore.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "sender/source.h"

namespace scream::sender {

class JackSource : public Source {
 public:
  // Connects to the default JACK server (JACK_DEFAULT_SERVER), never starting one. The server's
  // rate replaces format.sampleRate. nullptr with `error` set on failure.
  static std::unique_ptr<JackSource> open(const protocol::Format& format,
                                          const std::string& clientName,
                                          const std::atomic<bool>& stop, std::string* error);
  ~JackSource() override;

  const protocol::Format& format() const override { return format_; }
  // Blocks until `frames` frames arrived; fewer on a stop signal or when the server shut down.
  size_t read(uint8_t* out, size_t frames) override;
  std::string describe() const override { return "jack:" + clientName_; }
  bool deviceClocked() const override { return true; }

 private:
  JackSource(const protocol::Format& format, const std::atomic<bool>& stop);
  static int onProcess(jack_nframes_t frames, void* self);
  static void onShutdown(void* self);

  protocol::Format format_;
  const std::atomic<bool>& stop_;
  std::string clientName_;
  jack_client_t* client_ = nullptr;
  std::vector<jack_port_t*> ports_;
  jack_ringbuffer_t* ring_ = nullptr;  // interleaved float frames, process thread -> read()
  sem_t dataReady_;                    // posted by the process callback (sem_post never blocks)
  std::atomic<bool> shutDown_{false};
  std::atomic<uint64_t> droppedFrames_{0};  // the ring was full: read() fell behind
  std::vector<float> scratch_;
};

}  // namespace scream::sender
