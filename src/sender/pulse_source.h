// `pulse`: a virtual output device for applications. Creates a null sink on the running
// PulseAudio (or pipewire-pulse) server in the sender's format, records the sink's monitor and
// removes the sink again when the source is destroyed, so desktop applications just pick the
// sink (default name "Scream") as their output. The server's clock paces the stream.
#pragma once

#include <memory>
#include <string>

#include "sender/source.h"

struct pa_simple;
struct pa_threaded_mainloop;
struct pa_context;

namespace scream::sender {

class PulseSource : public Source {
 public:
  // Connects to the default server (PULSE_SERVER or the session's), loads module-null-sink
  // named `sinkName` and starts recording its monitor with about `burstMs` of buffering.
  // nullptr with `error` set when any step fails; the sink is then not left behind.
  static std::unique_ptr<PulseSource> open(const protocol::Format& format,
                                           const std::string& sinkName, uint32_t burstMs,
                                           std::string* error);
  ~PulseSource() override;

  const protocol::Format& format() const override { return format_; }
  // Blocks until `frames` frames were recorded; 0 when the server connection is lost.
  size_t read(uint8_t* out, size_t frames) override;
  std::string describe() const override { return "pulse:" + sinkName_; }
  bool deviceClocked() const override { return true; }

 private:
  PulseSource(const protocol::Format& format, std::string sinkName);
  bool connect(std::string* error);
  bool loadSink(std::string* error);
  bool startRecording(uint32_t burstMs, std::string* error);
  void unloadSink();

  protocol::Format format_;
  std::string sinkName_;
  pa_threaded_mainloop* mainloop_ = nullptr;
  pa_context* context_ = nullptr;  // owns the module: loads and unloads the sink
  uint32_t moduleIndex_;
  pa_simple* recording_ = nullptr;
};

}  // namespace scream::sender
