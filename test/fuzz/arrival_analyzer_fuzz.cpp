// Fuzz target: the receiver's arrival analysis, which reads every datagram's PCM (repeats by
// content, where a missing datagram makes the waveform jump) and its arrival time. The input is
// a sequence of records: a 16-bit little-endian gap to the previous arrival in microseconds, a
// 16-bit length, then that many datagram bytes. Verdicts must stay consistent with what was fed.
#include <stdint.h>
#include <stdlib.h>

#include "protocol/packet.h"
#include "receivers/core/arrival_analyzer.h"

using namespace scream;

namespace {

void check(bool condition) {
  if (!condition) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  receiver::ArrivalAnalyzer analyzer;
  protocol::Format current{};
  bool haveFormat = false;
  int64_t arrivalNs = 1'000'000'000;
  uint64_t fed = 0;
  // The engine's list of gaps declared at once and still watched (what take-backs call off).
  int64_t watched[receiver::ArrivalAnalyzer::kMaxChainedGaps];
  int watchedCount = 0;
  while (size >= 4) {
    arrivalNs += static_cast<int64_t>(data[0] | (data[1] << 8)) * 1000;
    size_t len = static_cast<size_t>(data[2] | (data[3] << 8));
    data += 4;
    size -= 4;
    if (len > size) len = size;
    protocol::Packet packet;
    if (protocol::parsePacket(data, len, &packet) == protocol::PacketError::kOk) {
      if (!haveFormat || packet.format != current) {
        current = packet.format;
        haveFormat = true;
        analyzer.reset(current);
        fed = 0;
        watchedCount = 0;
      }
      const auto v = analyzer.onDatagram(arrivalNs, packet.pcm, packet.pcmBytes);
      ++fed;
      check(v.shiftBytes % static_cast<int64_t>(protocol::kPayloadBytes) == 0);
      check(!(v.gapBeforeThis && v.gapTakenBack));
      check(!v.gapBeforeThis || v.shiftBytes > 0);
      check(!v.gapTakenBack || (v.shiftBytes < 0 && v.gapsTakenBack > 0));
      check(v.gapDatagramsBack >= 0 && v.gapDatagramsBack <= receiver::ArrivalAnalyzer::kMaxBurstDatagrams &&
            static_cast<uint64_t>(v.gapDatagramsBack) < fed);
      check(analyzer.lostDatagrams() < (uint64_t{1} << 40));  // never taken back below zero
      if (v.gapBeforeThis) {
        if (!v.chained) watchedCount = 0;
        check(watchedCount < receiver::ArrivalAnalyzer::kMaxChainedGaps);
        watched[watchedCount++] = v.shiftBytes;
      }
      if (v.gapTakenBack) {
        check(v.gapsTakenBack <= watchedCount);
        int64_t sum = 0;
        for (int i = 0; i < v.gapsTakenBack; ++i) sum += watched[--watchedCount];
        check(sum == -v.shiftBytes);
      }
    }
    data += len;
    size -= len;
  }
  return 0;
}
