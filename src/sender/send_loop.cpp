#include "sender/send_loop.h"

#include <algorithm>
#include <vector>

#include "driver/core/send_pipeline.h"
#include "sender/pacer.h"

namespace scream::sender {

namespace {
constexpr size_t kChunkFrames = 4096;  // frames pulled from the source per read
}

LoopStats runSendLoop(Source& source, UdpSender& udp, MarkerLog* markers,
                      const LoopOptions& options, const std::atomic<bool>& stop) {
  const protocol::Format format = source.format();
  const uint32_t bpf = format.bytesPerFrame();
  LoopStats stats;
  uint64_t payloadSent = 0;
  auto emit = [&](const uint8_t* datagram, size_t size) {
    // The time is taken just before sendto: on loopback the datagram can arrive before sendto
    // returns, and a send time after the arrival would make a negative latency.
    const uint64_t sendNs = markers != nullptr ? Pacer::nowNs() : 0;
    udp.send(datagram, size);
    payloadSent += size - protocol::kHeaderBytes;
    if (markers != nullptr) markers->sent(payloadSent, sendNs);
  };

  driver::SendPipeline pipeline;
  pipeline.setSilenceThreshold(options.silenceThreshold);
  pipeline.setFormat(format, emit);  // validated by the caller
  std::vector<uint8_t> chunk(kChunkFrames * bpf);

  // Writes frames [first, first + count) held in `pcm`, noting where markers start.
  auto write = [&](const uint8_t* pcm, uint64_t first, size_t count) {
    uint64_t frame = first;
    const uint64_t end = first + count;
    while (frame < end) {
      const uint64_t marker = markers != nullptr ? source.nextMarker(frame) : kNoMarker;
      const uint64_t upTo = std::min(marker, end);
      pipeline.write(pcm + (frame - first) * bpf, (upTo - frame) * bpf, emit);
      frame = upTo;
      if (marker < end) {
        markers->expect(marker, pipeline.passedBytes());
        pipeline.write(pcm + (frame - first) * bpf, bpf, emit);
        ++frame;
      }
    }
  };

  bool done = false;
  // A device source blocks until its clock has captured a burst: send each burst as it comes.
  const size_t burstFrames =
      std::clamp<size_t>(size_t{format.sampleRate} * options.burstMs / 1000, 1, kChunkFrames);
  while (source.deviceClocked() && !done && !stop.load()) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(options.maxFrames - stats.frames, burstFrames));
    const size_t got = source.read(chunk.data(), want);
    write(chunk.data(), stats.frames, got);
    stats.frames += got;
    if (got < want) stats.sourceEnded = !stop.load();
    done = got < want || stats.frames >= options.maxFrames;
  }

  Pacer pacer(format.sampleRate, options.clockPpm, options.burstMs);
  pacer.start();
  while (!source.deviceClocked() && !done && !stop.load()) {
    pacer.sleepUntilNextBurst();
    if (stop.load()) break;
    const uint64_t due = std::min(pacer.framesDue(), options.maxFrames);
    while (stats.frames < due) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(due - stats.frames, kChunkFrames));
      const size_t got = source.read(chunk.data(), want);
      write(chunk.data(), stats.frames, got);
      stats.frames += got;
      if (got < want) {
        stats.sourceEnded = !stop.load();
        done = true;
        break;
      }
    }
    if (stats.frames >= options.maxFrames) done = true;
  }
  pipeline.flush(emit);
  stats.datagrams = udp.sent();
  stats.sendErrors = udp.errors();
  stats.suppressedFrames = pipeline.suppressedFrames();
  stats.markers = markers != nullptr ? markers->logged() : 0;
  return stats;
}

}  // namespace scream::sender
