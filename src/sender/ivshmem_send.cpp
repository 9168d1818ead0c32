#include "sender/ivshmem_send.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "sender/ivshmem_writer.h"

namespace scream::sender {

namespace {
constexpr int kLingerMs = 60;
}

int runIvshmemSender(Source& source, const Options& o, const std::atomic<bool>& stop) {
  std::string error;
  auto writer = IvshmemWriter::open(o.ivshmemPath, size_t{o.ivshmemSizeMiB} << 20, &error);
  if (writer) writer->setChunkMilliseconds(o.ivshmemChunkMs);
  const protocol::Format& f = source.format();
  if (!writer || !writer->start(f, &error)) {
    spdlog::error("{}", error);
    return kExitUsage;
  }
  spdlog::info("{} {} Hz {} bit {} ch mask {:#x} -> IVSHMEM {} ({} chunks of {} bytes)",
               source.describe(), f.sampleRate, f.bitsPerSample, f.channels, f.channelMask,
               o.ivshmemPath, writer->maxChunks(), writer->chunkBytes());
  LoopOptions loop;
  if (o.durationSeconds > 0) {
    loop.maxFrames = static_cast<uint64_t>(std::llround(o.durationSeconds * f.sampleRate));
  }
  loop.burstMs = o.burstMs;
  loop.clockPpm = o.clockPpm;
  const LoopStats stats = runIvshmemLoop(source, *writer, loop, stop);
  // Readers poll (ours every 2 ms, others less often): give them time to take the last chunk
  // before the zeroed header tells them the stream is over.
  std::this_thread::sleep_for(std::chrono::milliseconds(kLingerMs));
  writer->stop();
  spdlog::debug("{} frames, {} chunks{}", stats.frames, stats.datagrams,
                stats.sourceEnded ? ", end of input" : "");
  return 0;
}

}  // namespace scream::sender
