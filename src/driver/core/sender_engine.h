// The sending side of a WaveRT stream: clock + cyclic-buffer reader + silence gate + packetizer.
// The driver's timer DPC calls tick() every 1-5 ms with the performance counter; tick() takes
// the audio played since the last tick out of the cyclic buffer, packetizes it and hands each
// finished datagram to `emit(const uint8_t* datagram, size_t size)`, which must send (or copy)
// it before returning. Nothing here waits, allocates or fails: safe at DISPATCH_LEVEL under the
// stream's spin lock.
//
// Freestanding (compiled into the Windows kernel driver): no heap, no exceptions.
#pragma once

#include "driver/core/cyclic_buffer_reader.h"
#include "driver/core/notification_schedule.h"
#include "driver/core/send_pipeline.h"
#include "driver/core/stream_clock.h"

namespace scream::driver {

class SenderEngine {
 public:
  // Counters for the driver's diagnostics.
  struct Stats {
    uint64_t framesRead = 0;        // frames taken from the cyclic buffer
    uint64_t framesSkipped = 0;     // lost to a timer more than one buffer late
    uint64_t framesSuppressed = 0;  // held back by the silence gate
    uint64_t datagrams = 0;
  };

  // Options that persist across streams (from the registry; set before start()).
  void setSilenceThreshold(uint32_t frames) { pipeline_.setSilenceThreshold(frames); }
  // 0 = no notification events (plain AllocateAudioBuffer).
  void setNotificationCount(uint32_t count) { notificationCount_ = count; }

  // RUN from STOP: position 0 at `counter`. The buffer holds bufferBytes / bytesPerFrame whole
  // frames (the driver should allocate a whole number of frames); it must stay mapped until
  // stop(). An invalid format is refused and nothing starts.
  protocol::FormatError start(uint64_t counter, uint64_t counterFrequency,
                              const protocol::Format& format, const uint8_t* buffer,
                              uint32_t bufferBytes) {
    pipeline_.discard();  // leftovers of a stream that was never stopped are stale
    const protocol::FormatError error = pipeline_.setFormat(format, DropDatagrams{});
    if (error != protocol::FormatError::kOk) return error;
    counterFrequency_ = counterFrequency;
    attach(counter, format, buffer, bufferBytes);
    return error;
  }

  // Consumes and sends what was played up to `counter`. Returns the notification boundaries
  // crossed since the last tick (the driver sets its notification events when > 0).
  template <class Emit>
  uint64_t tick(uint64_t counter, Emit&& emit) {
    if (!started_) return 0;
    const uint64_t played = clock_.framesAt(counter);
    consumeTo(played, emit);
    return notifications_.advance(played * bytesPerFrame_);
  }

  // Sends what was played up to absolute frame `playedFrame`, for a caller that tracks the
  // position itself (tick() passes the clock's position). Nothing checks it against the clock.
  template <class Emit>
  void consumeTo(uint64_t playedFrame, Emit&& emit) {
    if (!started_) return;
    CountingEmit<Emit> counting{emit, &stats_.datagrams};
    const uint64_t before = reader_.skippedFrames();
    stats_.framesRead += reader_.consumeTo(playedFrame, [&](const uint8_t* bytes, size_t size) {
      if (muted_) {
        pipeline_.writeSilence(size, counting);
      } else {
        pipeline_.write(bytes, size, counting);
      }
    });
    stats_.framesSkipped += reader_.skippedFrames() - before;
    stats_.framesSuppressed = pipeline_.suppressedFrames();
  }

  // Leaving RUN (to PAUSE): sends what was played up to `counter`, flushes, holds the position.
  template <class Emit>
  void pause(uint64_t counter, Emit&& emit) {
    if (!started_ || !clock_.running()) return;
    tick(counter, emit);
    clock_.pause(counter);
    flush(emit);
  }
  // Back to RUN: the position continues from where pause() held it.
  void resume(uint64_t counter) {
    if (started_) clock_.run(counter);
  }

  // STOP: flushes what has been consumed; position back to 0. The caller ticks first if the
  // audio played since the last tick should still leave.
  template <class Emit>
  void stop(Emit&& emit) {
    if (!started_) return;
    flush(emit);
    clock_.reset();
    started_ = false;
  }

  // A new format (and the buffer allocated for it) on a started stream: the old format's audio
  // up to `counter` leaves first and its partial payload is flushed, then the position restarts
  // at 0 in the new buffer (held if the stream was paused). An invalid format is refused and the
  // old stream continues. On a stream that is not started this only validates: start() takes
  // the format.
  template <class Emit>
  protocol::FormatError changeFormat(uint64_t counter, const protocol::Format& format,
                                     const uint8_t* buffer, uint32_t bufferBytes, Emit&& emit) {
    const protocol::FormatError error = protocol::validateFormat(format);
    if (error != protocol::FormatError::kOk || !started_) return error;
    const bool wasRunning = clock_.running();
    tick(counter, emit);
    CountingEmit<Emit> counting{emit, &stats_.datagrams};
    pipeline_.setFormat(format, counting);
    attach(counter, format, buffer, bufferBytes);
    if (!wasRunning) clock_.pause(counter);
    return protocol::FormatError::kOk;
  }

  // Muted: the played region is replaced by zeros (the stream keeps its timing; the silence
  // gate, when on, then stops the stream).
  void setMuted(bool muted) { muted_ = muted; }
  bool muted() const { return muted_; }

  // Absolute frames played at `counter` (0 when stopped).
  uint64_t positionFrames(uint64_t counter) const { return clock_.framesAt(counter); }
  // WaveRT play position: byte offset into the cyclic buffer (GetPosition).
  uint32_t playOffsetBytes(uint64_t counter) const {
    const uint32_t frames = reader_.bufferFrames();
    if (frames == 0) return 0;
    return static_cast<uint32_t>(positionFrames(counter) % frames) * bytesPerFrame_;
  }

  bool started() const { return started_; }
  bool running() const { return started_ && clock_.running(); }
  const protocol::Format& format() const { return pipeline_.format(); }
  const Stats& stats() const { return stats_; }
  bool suppressing() const { return pipeline_.suppressing(); }

 private:
  struct DropDatagrams {
    void operator()(const uint8_t*, size_t) const {}
  };

  // Counts the datagrams on their way to the caller's emit.
  template <class Emit>
  struct CountingEmit {
    Emit& emit;
    uint64_t* count;
    void operator()(const uint8_t* datagram, size_t size) const {
      ++*count;
      emit(datagram, size);
    }
  };

  template <class Emit>
  void flush(Emit& emit) {
    CountingEmit<Emit> counting{emit, &stats_.datagrams};
    pipeline_.flush(counting);
  }

  void attach(uint64_t counter, const protocol::Format& format, const uint8_t* buffer,
              uint32_t bufferBytes) {
    bytesPerFrame_ = format.bytesPerFrame();
    clock_.configure(counterFrequency_, format.sampleRate);
    clock_.run(counter);
    reader_.attach(buffer, bufferBytes, bytesPerFrame_, 0);
    const uint32_t usedBytes = reader_.bufferFrames() * bytesPerFrame_;
    notifications_.configure(usedBytes, notificationCount_, 0);
    started_ = true;
  }

  StreamClock clock_;
  CyclicBufferReader reader_;
  NotificationSchedule notifications_;
  SendPipeline pipeline_;
  Stats stats_;
  uint64_t counterFrequency_ = 1;
  uint32_t bytesPerFrame_ = 1;
  uint32_t notificationCount_ = 0;
  bool started_ = false;
  bool muted_ = false;
};

}  // namespace scream::driver
