// `-o alsa -d DEVICE`: plays through alsa-lib (a card, dmix, or any PCM from the ALSA config).
// The sink's own thread waits for a period of space, asks the engine for that many float frames
// and writes them converted to the device's sample format (the plug layer is told not to
// convert rate, channels or format: the engine resamples and remaps, the sink converts).
//
// Device buffer: ~5 ms periods, a few of them (from the latency target); the device starts on
// the first period and fills played-out areas with silence, so an underrun never replays stale
// audio. Xruns and suspend are recovered in place (an xrun also adds a period, up to a limit);
// a device that goes away (USB unplug) is reopened with backoff by the same thread.
#pragma once

#include <alsa/asoundlib.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "alsa_format.h"
#include "receivers/core/sink.h"

namespace scream::receiver {

struct AlsaSinkConfig {
  std::string device = "default";
  double targetLatencyMs = 0;  // the engine's pinned target (0 = adaptive): sizes the buffer
  double periodMs = 5;
  int maxPeriods = 32;     // each xrun adds a period, up to this
  int minBackoffMs = 500;  // reopen delay after the device went away, doubling
  int maxBackoffMs = 5000;
};

// Whether `device` opens for playback now (non-blocking open, closed at once): how scream-recv
// without -o decides that ALSA can play when no PulseAudio server answers.
bool alsaPlaybackDeviceOpens(const std::string& device);

class AlsaSink final : public Sink {
 public:
  explicit AlsaSink(AlsaSinkConfig config);
  ~AlsaSink() override;

  SinkFormat start(const SinkFormat& wanted, AudioSource& source) override;
  void stop() override;
  std::string describe() const override;

 private:
  // One open, configured device. open() throws std::runtime_error with a message for the user.
  void open(const SinkFormat& wanted, bool firstOpen);
  void close();
  void play();              // the audio thread
  bool recover(int error);  // xrun/suspend: true when playing can go on with this handle
  bool reopenWithBackoff(int periods);
  void prefill() noexcept;
  int writeAll(const uint8_t* data, snd_pcm_uframes_t frames) noexcept;  // 0 or -errno
  double delayFrames(int64_t nowNs) noexcept;

  const AlsaSinkConfig config_;
  SinkFormat wanted_, format_;
  AudioSource* source_ = nullptr;

  snd_pcm_t* pcm_ = nullptr;
  snd_pcm_status_t* status_ = nullptr;
  AlsaSampleFormat sampleFormat_{};
  snd_pcm_uframes_t periodFrames_ = 0, bufferFrames_ = 0;
  int periods_ = 0;
  std::vector<unsigned> permutation_;  // empty: the device takes the stream's order
  std::vector<float> rendered_, ordered_;
  std::vector<uint8_t> converted_;
  bool reorderReported_ = false;

  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> xruns_{0};
};

}  // namespace scream::receiver
