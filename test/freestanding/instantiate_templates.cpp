// Instantiates the header-only protocol templates under the kernel's flag set, so that the
// freestanding check sees their code too.
#include "protocol/frame_assembler.h"
#include "protocol/packetizer.h"

namespace {
struct CountingEmit {
  size_t* total;
  void operator()(const uint8_t*, size_t size) const { *total += size; }
};
}  // namespace

extern "C" size_t scream_freestanding_packetize(const uint8_t* pcm, size_t bytes) {
  using namespace scream::protocol;
  size_t total = 0;
  Packetizer packetizer;
  FrameAssembler assembler;
  const Format format{48000, 16, 7, 0x7F};
  packetizer.setFormat(format, CountingEmit{&total});
  packetizer.write(pcm, bytes, CountingEmit{&total});
  packetizer.flush(CountingEmit{&total});
  assembler.reset(format.bytesPerFrame());
  assembler.push(pcm, bytes, [&total](const uint8_t*, size_t frames) { total += frames; });
  return total;
}
