#include "stream_tracker.h"

#include "pcm_convert.h"

namespace scream::receiver {

namespace {
// A UDP datagram carries at most 65507 bytes; 16-bit samples are the densest.
constexpr size_t kMaxSamplesPerDatagram = 65536 / 2 + protocol::kMaxChannels;
}  // namespace

StreamTracker::StreamTracker(int64_t gapNs) : scratch_(kMaxSamplesPerDatagram), gapNs_(gapNs) {}

StreamTracker::Change StreamTracker::classify(const protocol::Format& format,
                                              int64_t arrivalNs) const {
  if (!started_) return Change::kFirst;
  if (format.sampleRate != format_.sampleRate || format.channels != format_.channels ||
      format.channelMask != format_.channelMask) {
    return Change::kFormat;
  }
  if (format.bitsPerSample != format_.bitsPerSample) return Change::kBitsOnly;
  if (arrivalNs - lastArrivalNs_ > gapNs_) return Change::kResumedAfterGap;
  return Change::kNone;
}

StreamTracker::Frames StreamTracker::push(const protocol::Packet& packet, int64_t arrivalNs) {
  Frames result;
  result.change = classify(packet.format, arrivalNs);
  if (result.change != Change::kNone) {
    // A fragment carried from before a gap or format change belongs to another stream.
    format_ = packet.format;
    assembler_.reset(format_.bytesPerFrame());
    started_ = true;
  }
  lastArrivalNs_ = arrivalNs;

  const uint8_t bits = format_.bitsPerSample;
  const size_t channels = format_.channels;
  size_t produced = 0;  // frames converted into scratch_
  assembler_.push(packet.pcm, packet.pcmBytes, [&](const uint8_t* frames, size_t count) {
    pcmToFloat(frames, count * channels, bits, scratch_.data() + produced * channels);
    produced += count;
  });
  result.samples = scratch_.data();
  result.frames = produced;
  return result;
}

}  // namespace scream::receiver
