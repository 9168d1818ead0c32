// `-o file:PATH.wav`: a sink paced by CLOCK_MONOTONIC like a sound card, so the whole engine path
// (ring, drift controller, resampler, concealment) runs exactly as it does for a device. Writes a
// float WAV in the first stream's layout, plus PATH.wav.timing.json: the monotonic time at which
// frame 0 "played", so tests can measure latency as start_ns + frame / rate.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "receivers/core/sink.h"
#include "wav_writer.h"

namespace scream::receiver {

class FileSink final : public Sink {
 public:
  // periodMs: how often the sink pulls a block; the device buffer it models is one period.
  explicit FileSink(std::string path, double periodMs = 5.0);
  ~FileSink() override;

  SinkFormat start(const SinkFormat& wanted, AudioSource& source) override;
  void stop() override;
  std::string describe() const override { return "file:" + path_; }
  bool reopensForNewFormat() const override { return false; }  // one WAV header, one format

 private:
  void run(AudioSource& source, SinkFormat format);

  std::string path_;
  double periodMs_;
  std::unique_ptr<WavWriter> writer_;
  std::thread thread_;
  std::atomic<bool> running_{false};
};

}  // namespace scream::receiver
