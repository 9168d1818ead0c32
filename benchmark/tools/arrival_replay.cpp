// Replays the datagrams of a capture (tcpdump -w, classic pcap, Ethernet or loopback framing)
// through the receiver's arrival analysis and clock estimator, as the engine feeds them, and
// prints each datagram's residual, floor and band with the verdict. For finding out why a stream
// was judged as it was: `tcpdump -i lo -s 1200 -w cap.pcap udp` beside a benchmark run, then
// `arrival_replay cap.pcap PORT [FROM_S TO_S]` (PORT: the receiver's, from its first log line).
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "protocol/packet.h"
#include "receivers/core/arrival_analyzer.h"
#include "receivers/core/clock_estimator.h"

namespace {

using scream::receiver::ArrivalAnalyzer;

struct Datagram {
  int64_t ns;
  std::vector<uint8_t> bytes;
};

uint32_t read32(const uint8_t* p, bool swap) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swap ? __builtin_bswap32(v) : v;
}

// UDP payloads sent to `port`, in capture order.
bool readCapture(const char* path, unsigned port, std::vector<Datagram>* out) {
  FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return false;
  uint8_t global[24];
  if (std::fread(global, 1, 24, f) != 24) return std::fclose(f), false;
  const uint32_t magic = read32(global, false);
  const bool swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
  const bool nanos = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
  if (!swap && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) return std::fclose(f), false;
  const uint32_t linkType = read32(global + 20, swap);
  const size_t linkBytes = linkType == 1 ? 14 : linkType == 0 ? 4 : linkType == 113 ? 16 : 0;
  uint8_t record[16];
  std::vector<uint8_t> frame;
  while (std::fread(record, 1, 16, f) == 16) {
    const uint32_t length = read32(record + 8, swap);
    frame.resize(length);
    if (std::fread(frame.data(), 1, length, f) != length) break;
    const int64_t ns = int64_t{read32(record, swap)} * 1'000'000'000 +
                       int64_t{read32(record + 4, swap)} * (nanos ? 1 : 1000);
    if (length < linkBytes + 28) continue;
    const uint8_t* ip = frame.data() + linkBytes;
    if ((ip[0] >> 4) != 4 || ip[9] != 17) continue;
    const uint8_t* udp = ip + (ip[0] & 0x0f) * 4;
    if (udp + 8 > frame.data() + length) continue;
    if (static_cast<unsigned>(udp[2] << 8 | udp[3]) != port) continue;
    out->push_back({ns, std::vector<uint8_t>(udp + 8, static_cast<const uint8_t*>(frame.data() + length))});
  }
  std::fclose(f);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CAPTURE.pcap RECEIVER_PORT [FROM_S TO_S]\n", argv[0]);
    return 2;
  }
  std::vector<Datagram> datagrams;
  if (!readCapture(argv[1], static_cast<unsigned>(std::atoi(argv[2])), &datagrams)) {
    std::fprintf(stderr, "%s: not a readable pcap capture\n", argv[1]);
    return 1;
  }
  const double from = argc > 4 ? std::atof(argv[3]) : 0;
  const double to = argc > 4 ? std::atof(argv[4]) : 1e12;
  ArrivalAnalyzer analyzer;
  scream::receiver::ClockEstimator estimator;
  scream::protocol::Format format{};
  bool started = false;
  const int64_t origin = datagrams.empty() ? 0 : datagrams.front().ns;
  for (const Datagram& d : datagrams) {
    scream::protocol::Packet packet;
    if (scream::protocol::parsePacket(d.bytes.data(), d.bytes.size(), &packet) !=
        scream::protocol::PacketError::kOk)
      continue;
    if (!started || !(packet.format == format)) {
      format = packet.format;
      analyzer.reset(format);
      estimator.reset(format.sampleRate);
      started = true;
    }
    const ArrivalAnalyzer::Verdict v = analyzer.onDatagram(d.ns, packet.pcm, packet.pcmBytes);
    const double frames = static_cast<double>(packet.pcmBytes / format.bytesPerFrame());
    const double lost = static_cast<double>(v.shiftBytes) / format.bytesPerFrame();
    estimator.onFrames(d.ns, std::llround(v.provisional ? 0.0 : frames + lost));  // as the engine
    if (estimator.locked()) analyzer.setRateRatio(estimator.ratio());
    const double wall = static_cast<double>(d.ns - origin) * 1e-9;
    if (wall < from || wall > to) continue;
    const ArrivalAnalyzer::Trace& t = analyzer.lastTrace();
    std::printf("%9.4f residual %7.2f floor %7.2f band %5.2f ppm %+7.0f%s%s%s%s%s%s%s%s%s\n", wall,
                t.residual * 1e3, t.floor * 1e3, t.band * 1e3, estimator.ppm(),
                v.duplicate ? " DROPPED" : "", v.provisional ? " provisional" : "",
                v.previousWasRepeat ? " previous-was-repeat" : "",
                v.previousWasReal ? " previous-was-real" : "", v.gapBeforeThis ? " GAP-BEFORE" : "",
                v.chained ? " (chained)" : "", v.gapTakenBack ? " TAKEN-BACK" : "",
                v.shiftBytes != 0 && !v.gapBeforeThis && !v.gapTakenBack ? " SHIFT" : "",
                t.seamless ? " late-but-seamless" : "");
    if (v.shiftBytes != 0) std::printf("          shift %+" PRId64 " bytes\n", v.shiftBytes);
  }
  std::fprintf(stderr, "%zu datagrams; %" PRIu64 " declared lost, %" PRIu64 " duplicates\n",
               datagrams.size(), analyzer.lostDatagrams(), analyzer.duplicates());
  return 0;
}
