// The boundary between the receiver engine and a sound API (PipeWire's plugin boundary in
// spirit): a Sink owns a device and its audio thread and pulls float frames from an AudioSource.
// Format negotiation happens once, in Sink::start(): the engine asks for the stream's format and
// adapts (resampling, channel remap) to whatever the sink answers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace scream::receiver {

struct SinkFormat {
  uint32_t sampleRate = 0;
  uint8_t channels = 0;
  uint16_t channelMask = 0;  // speaker positions of the sink's channels (protocol/channel_map.h)
  // The stream's bits per sample, a hint for a sink that picks a device sample format (the
  // engine always hands over float). 0: unknown.
  uint8_t bitsPerSample = 0;
};

// What the sink knows about the block it asks for.
struct PlaybackTiming {
  int64_t nowNs = 0;               // CLOCK_MONOTONIC when render() was called
  double deviceDelayFrames = 0.0;  // frames (sink rate) queued in the device ahead of this block
  // Interleaved channels in the block (what start() returns). Said with every call because the
  // device may pull before start() has returned its format to the engine.
  unsigned channels = 0;
  // False until the sound server has reported a delay of its own: deviceDelayFrames is then
  // what the sink configured (its buffer), which the engine uses instead of a meaningless 0.
  bool delayValid = true;
};

// Implemented by the engine; called only from the sink's audio thread.
class AudioSource {
 public:
  // Fills `frames` interleaved float frames in the sink's format. Real-time safe.
  virtual void render(float* out, size_t frames, const PlaybackTiming& timing) noexcept = 0;

 protected:
  ~AudioSource() = default;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Opens the device close to `wanted` and starts pulling from `source` on the sink's own thread.
  // Returns the format the device runs at. Throws std::runtime_error with a message for the user.
  virtual SinkFormat start(const SinkFormat& wanted, AudioSource& source) = 0;
  // Stops pulling and releases the device. Idempotent. start() may be called again afterwards.
  virtual void stop() = 0;
  // Whether the engine should stop and start the sink again when a stream arrives with another
  // channel layout (true for devices: 5.1 after stereo really plays 5.1; a new rate alone is
  // resampled, never a reopen). A sink that cannot change format mid-way (a WAV file) answers
  // false and gets the stream converted.
  virtual bool reopensForNewFormat() const { return true; }
  virtual std::string describe() const = 0;
};

}  // namespace scream::receiver
