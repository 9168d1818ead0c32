// `-o jack`: plays through a JACK server as a client with one output port per channel, named by
// speaker position (FL, FR, FC, LFE, ...), auto-connected to the physical playback ports unless
// told not to. The server's clock drives the engine: each process cycle renders one period.
//
// Threads: JACK's process thread calls the engine (the audio thread); a supervisor thread notices
// a server shutdown, closes the client and reconnects with backoff. start() opens the first
// client itself because the server's sample rate is the format it answers; with no server it
// throws and the engine retries.
#pragma once

#include <jack/jack.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "receivers/core/sink.h"

namespace scream::receiver {

struct JackSinkConfig {
  std::string clientName = "Scream";
  bool autoconnect = true;  // connect our ports to the physical playback ports
  int minBackoffMs = 500;   // reconnect delay, doubling up to maxBackoffMs
  int maxBackoffMs = 5000;
  size_t maxBlockFrames = 4096;  // interleaved scratch per render call; larger periods take turns
};

class JackSink final : public Sink {
 public:
  explicit JackSink(JackSinkConfig config);
  ~JackSink() override;

  SinkFormat start(const SinkFormat& wanted, AudioSource& source) override;
  void stop() override;
  std::string describe() const override;

 private:
  bool open(std::string* error);  // client, ports, callbacks, activation, connections
  void close();
  void connectPorts();
  void supervise();
  void sleepMs(int ms);

  int process(jack_nframes_t frames) noexcept;
  static int onProcess(jack_nframes_t frames, void* self);
  static int onXrun(void* self);
  static void onLatency(jack_latency_callback_mode_t mode, void* self);
  static void onShutdown(jack_status_t code, const char* reason, void* self);

  const JackSinkConfig config_;
  SinkFormat format_;
  AudioSource* source_ = nullptr;
  std::vector<std::string> portNames_;
  std::vector<float> interleaved_;  // maxBlockFrames x channels, allocated in start()

  jack_client_t* client_ = nullptr;           // supervisor (and start/stop)
  std::vector<jack_port_t*> ports_;           // fixed while the client is active
  int64_t clockOffsetNs_ = 0;                 // CLOCK_MONOTONIC - jack_get_time(), per connection
  std::atomic<uint32_t> playbackLatency_{0};  // frames after our ports, from the latency callback
  // Set once the ports are connected (or left alone, -c) and their latency read: until then the
  // process callback plays silence and takes nothing from the engine, whose first render would
  // otherwise prime against a delay of 0.
  std::atomic<bool> latencyKnown_{false};
  std::atomic<bool> serverGone_{false};
  std::atomic<uint64_t> xruns_{0};
  char shutdownReason_[256] = {};  // written by onShutdown before serverGone_ is set

  std::thread supervisor_;
  std::atomic<bool> running_{false};
  std::mutex sleepMutex_;
  std::condition_variable sleepWake_;
};

}  // namespace scream::receiver
