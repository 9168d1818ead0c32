// `alsa`: records an ALSA capture PCM (-d, default "default") in the sender's format. The
// device's clock paces the stream; an overrun (the sender fell behind) is recovered and counted.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "sender/source.h"

struct _snd_pcm;

namespace scream::sender {

class AlsaSource : public Source {
 public:
  // Opens `device` for capture with periods of about `burstMs`. nullptr with `error` set when the
  // device or the format is not available. `stop` ends a read interrupted by a signal.
  static std::unique_ptr<AlsaSource> open(const protocol::Format& format, const std::string& device,
                                          uint32_t burstMs, const std::atomic<bool>& stop,
                                          std::string* error);
  ~AlsaSource() override;

  const protocol::Format& format() const override { return format_; }
  // Blocks until `frames` frames were captured; fewer on a stop signal or a device error.
  size_t read(uint8_t* out, size_t frames) override;
  std::string describe() const override { return "alsa:" + device_; }
  bool deviceClocked() const override { return true; }

  uint64_t overruns() const { return overruns_; }

 private:
  AlsaSource(const protocol::Format& format, std::string device, const std::atomic<bool>& stop)
      : format_(format), device_(std::move(device)), stop_(stop) {}

  protocol::Format format_;
  std::string device_;
  const std::atomic<bool>& stop_;
  _snd_pcm* pcm_ = nullptr;
  uint64_t overruns_ = 0;
};

}  // namespace scream::sender
