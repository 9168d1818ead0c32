// PCM of one format -> silence gate -> packetizer -> emit(datagram, size). The part of the
// sending path that does not care where the PCM comes from: the driver feeds it from the WaveRT
// cyclic buffer (SenderEngine), the Linux sender from its sources.
//
// While the gate suppresses, the pending partial payload is flushed at once, so the last sound
// before a pause leaves immediately instead of waiting for the stream to resume.
//
// Freestanding (compiled into the Windows kernel driver): no heap, no exceptions.
#pragma once

#include "driver/core/silence_gate.h"
#include "protocol/packetizer.h"

namespace scream::driver {

class SendPipeline {
 public:
  // Starts a stream in `format`: the pending payload of the previous format leaves first, the
  // gate starts over. An invalid format is refused and the pipeline keeps its old format.
  template <class Emit>
  protocol::FormatError setFormat(const protocol::Format& format, Emit&& emit) {
    const bool same = packetizer_.hasFormat() && packetizer_.format() == format;
    const protocol::FormatError error = packetizer_.setFormat(format, emit);
    if (error != protocol::FormatError::kOk) return error;
    if (same) packetizer_.flush(emit);  // a restart in the same format is still a new stream
    gate_.configure(threshold_, format.bytesPerFrame());
    return error;
  }

  // Takes effect from the next frame; the silent run starts counting again.
  void setSilenceThreshold(uint32_t frames) {
    threshold_ = frames;
    gate_.configure(threshold_, packetizer_.hasFormat() ? packetizer_.format().bytesPerFrame() : 1);
  }

  template <class Emit>
  void write(const uint8_t* pcm, size_t bytes, Emit&& emit) {
    gate_.process(pcm, bytes, [this, &emit](const uint8_t* run, size_t size, bool pass) {
      if (pass) {
        packetizer_.write(run, size, emit);
        passedBytes_ += size;
      } else {
        packetizer_.flush(emit);  // no-op once nothing is pending
      }
    });
  }

  // Writes `bytes` zero bytes, as a muted stream plays: the gate may then suppress them.
  template <class Emit>
  void writeSilence(size_t bytes, Emit&& emit) {
    while (bytes > 0) {
      const size_t chunk = bytes < sizeof(kZeros) ? bytes : sizeof(kZeros);
      write(kZeros, chunk, emit);
      bytes -= chunk;
    }
  }

  // Sends the pending partial payload (stop, pause, end of input).
  template <class Emit>
  void flush(Emit&& emit) {
    packetizer_.flush(emit);
  }

  // Drops the pending payload without sending it (a stream restarted without a stop).
  void discard() {
    packetizer_.flush([](const uint8_t*, size_t) {});
  }

  bool hasFormat() const { return packetizer_.hasFormat(); }
  const protocol::Format& format() const { return packetizer_.format(); }
  bool suppressing() const { return gate_.suppressing(); }
  uint64_t suppressedFrames() const { return gate_.suppressedFrames(); }
  // PCM bytes that passed the gate into the packetizer (sent or pending).
  uint64_t passedBytes() const { return passedBytes_; }
  size_t pendingBytes() const { return packetizer_.pendingBytes(); }

 private:
  static constexpr uint8_t kZeros[protocol::kPayloadBytes] = {};

  protocol::Packetizer packetizer_;
  SilenceGate gate_;
  uint64_t passedBytes_ = 0;
  uint32_t threshold_ = 0;
};

}  // namespace scream::driver
