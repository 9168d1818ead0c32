// `-o pulse`: plays through a PulseAudio server (or PipeWire's pulse server) with the
// asynchronous API. The stream's write callback pulls float frames from the engine, so the
// engine's jitter buffer holds the latency and PulseAudio's buffer stays a few ms.
//
// Threads: PulseAudio's threaded mainloop runs the write callback (the audio thread); a
// supervisor thread connects, waits, logs and reconnects with backoff when the server goes away
// or the sink does not exist yet. start() never fails for a missing server.
#pragma once

#include <pulse/context.h>
#include <pulse/stream.h>
#include <pulse/thread-mainloop.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "receivers/core/device_buffer_policy.h"
#include "receivers/core/sink.h"

namespace scream::receiver {

struct PulseSinkConfig {
  std::string sink;              // empty: the server's default sink
  std::string streamName = "Scream";
  double periodMs = 5;           // minreq: how much the server asks for at a time
  // The server buffer (tlength), in periods, at first. 30 ms: on these VMs (threads stalled
  // 10-30 ms) 10 ms ran empty in most 30 s runs and 20 ms in 2 of 20 stream starts; 30 ms in
  // none of 20 (PulseSink.TwentyStartsInARowPlayCleanFromTheFirstSecond).
  int periods = 6;
                                 // ($PULSE_LATENCY_MSEC overrides it)
  int maxPeriods = 16;           // each underflow or near miss adds a period, up to this;
                                 // a quiet minute takes one back (DeviceBufferPolicy)
  int minBackoffMs = 500;        // reconnect delay, doubling up to maxBackoffMs
  int maxBackoffMs = 5000;
};

class PulseSink final : public Sink {
 public:
  explicit PulseSink(PulseSinkConfig config);
  ~PulseSink() override;

  SinkFormat start(const SinkFormat& wanted, AudioSource& source) override;
  void stop() override;
  std::string describe() const override;

 private:
  enum class Outcome { kStopped, kNoServer, kNoStream, kLost };

  void supervise();
  Outcome connectAndPlay(std::string* error);  // mainloop lock held
  void waitLocked(const std::function<bool()>& done);
  void teardownLocked();
  pa_buffer_attr bufferAttr() const;
  void sleepMs(int ms);
  void write(size_t bytes) noexcept;
  double delayFrames(bool* valid) noexcept;
  void noteTimes(int64_t renderStartNs, int64_t renderEndNs) noexcept;
  void noteDelay(double frames) noexcept;
  pa_buffer_attr adoptBufferAttr();
  void applyBufferLocked();
  double nearMissFrames() const;

  static void raisePriority(pa_mainloop_api* api, void* self);
  static void onContextState(pa_context* context, void* self);
  static void onStreamState(pa_stream* stream, void* self);
  static void onWrite(pa_stream* stream, size_t bytes, void* self);
  static void onUnderflow(pa_stream* stream, void* self);
  static void onBufferCheck(pa_mainloop_api* api, pa_time_event* event, const timeval* tv,
                            void* self);

  const PulseSinkConfig config_;
  SinkFormat format_;
  size_t frameBytes_ = 0;
  AudioSource* source_ = nullptr;

  pa_threaded_mainloop* loop_ = nullptr;
  pa_context* context_ = nullptr;  // mainloop lock
  pa_stream* stream_ = nullptr;    // mainloop lock
  double lastDelayFrames_ = 0;     // mainloop thread
  bool delayKnown_ = false;        // mainloop thread: the server has reported timing once
  std::atomic<double> configuredDelayFrames_{0};  // the server buffer asked for (tlength)
  std::optional<DeviceBufferPolicy> buffer_;  // supervisor; kept across reconnections
  bool bufferCheckDue_ = false;    // mainloop lock: onBufferCheck fired
  bool realtime_ = false;          // mainloop lock
  bool priorityTried_ = false;     // mainloop lock
  std::atomic<uint64_t> underflows_{0};
  // Near misses (noteDelay): requests that found the queue nearly empty, the lowest it was.
  static constexpr double kNoDelay = 1e300;
  std::atomic<uint64_t> nearMisses_{0};
  std::atomic<double> nearMissFrames_{0};
  std::atomic<double> closestDelayFrames_{kNoDelay};
  int64_t lastCallbackNs_ = 0;  // mainloop thread
  std::atomic<int64_t> maxGapNs_{0}, maxRenderNs_{0};

  std::thread supervisor_;
  std::atomic<bool> running_{false};
  std::mutex sleepMutex_;
  std::condition_variable sleepWake_;
};

}  // namespace scream::receiver
