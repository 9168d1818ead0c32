// Fuzz target: packet validation and frame reassembly, the code that first touches bytes from
// the network. The input is a sequence of datagrams, each prefixed by a 16-bit little-endian
// length, so the fuzzer can explore format changes and fragments carried across packets.
// Every accepted packet is also re-packetized, and the datagrams produced must parse again.
#include <stdint.h>
#include <stdlib.h>

#include "protocol/frame_assembler.h"
#include "protocol/packet.h"
#include "protocol/packetizer.h"

using namespace scream::protocol;

namespace {

void check(bool condition) {
  if (!condition) abort();
}

struct Reemit {
  // A flush sends what is left: with 5 or 7 channels that can be the end of a straddling frame,
  // less than one frame, which receivers drop (COMPAT.md). Full datagrams always parse.
  bool flushing = false;
  void operator()(const uint8_t* datagram, size_t size) const {
    Packet again;
    check(size <= kDatagramBytes);
    const PacketError error = parsePacket(datagram, size, &again);
    check(error == PacketError::kOk || (flushing && error == PacketError::kPartialFrame));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FrameAssembler assembler;
  Packetizer packetizer;
  Format current;
  bool haveFormat = false;
  uint64_t pcmIn = 0, frameBytesOut = 0;

  while (size >= 2) {
    size_t len = static_cast<size_t>(data[0] | (data[1] << 8));
    data += 2;
    size -= 2;
    if (len > size) len = size;
    Packet packet;
    const PacketError error = parsePacket(data, len, &packet);
    check(static_cast<size_t>(error) < kPacketErrorCount);
    if (error == PacketError::kOk) {
      check(packet.pcm == data + kHeaderBytes && packet.pcmBytes == len - kHeaderBytes);
      check(validateFormat(packet.format) == FormatError::kOk);
      // What a Scream sender can mean, and nothing else (issue 22).
      check(isScreamRateMarker(data[0]));
      check(packet.pcmBytes >= packet.format.bytesPerFrame());
      if (!haveFormat || packet.format != current) {
        current = packet.format;
        haveFormat = true;
        assembler.reset(current.bytesPerFrame());
        pcmIn = frameBytesOut = 0;
        check(packetizer.setFormat(current, Reemit{true}) == FormatError::kOk);
      }
      pcmIn += packet.pcmBytes;
      const uint32_t bpf = current.bytesPerFrame();
      assembler.push(packet.pcm, packet.pcmBytes, [&](const uint8_t* frames, size_t count) {
        frameBytesOut += count * bpf;
        packetizer.write(frames, count * bpf, Reemit{});
      });
      // Bytes in == whole frames out + the fragment carried to the next packet.
      check(pcmIn == frameBytesOut + assembler.carriedBytes());
      check(assembler.carriedBytes() < bpf);
    }
    data += len;
    size -= len;
  }
  packetizer.flush(Reemit{true});
  return 0;
}
