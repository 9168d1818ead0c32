#include "test_sender.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "protocol/packetizer.h"
#include "receivers/core/monotonic_clock.h"

namespace scream::testing {

int64_t monotonicNs() { return receiver::monotonicNs(); }

namespace {

int openSocket(uint16_t sourcePort, sockaddr_in* dest, uint16_t destPort,
               uint32_t sourceIpv4 = INADDR_LOOPBACK) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(sourcePort);
  local.sin_addr.s_addr = htonl(sourceIpv4);
  const bool loopback = (sourceIpv4 >> 24) == 127;
  if (!loopback || bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    close(fd);
    throw std::runtime_error("test sender: bind failed (loopback source addresses only)");
  }
  *dest = {};
  dest->sin_family = AF_INET;
  dest->sin_port = htons(destPort);
  dest->sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // tests never leave the machine
  return fd;
}

void putSample(uint8_t* p, unsigned bytes, double value) {
  const double clipped = std::fmax(-1.0, std::fmin(value, 0.9999999));
  const int64_t full = static_cast<int64_t>(std::llround(clipped * 2147483648.0));  // 32-bit scale
  const uint32_t v = static_cast<uint32_t>(full);
  if (bytes == 2) {
    p[0] = static_cast<uint8_t>(v >> 16), p[1] = static_cast<uint8_t>(v >> 24);
  } else if (bytes == 3) {
    p[0] = static_cast<uint8_t>(v >> 8), p[1] = static_cast<uint8_t>(v >> 16), p[2] = static_cast<uint8_t>(v >> 24);
  } else {
    p[0] = static_cast<uint8_t>(v), p[1] = static_cast<uint8_t>(v >> 8);
    p[2] = static_cast<uint8_t>(v >> 16), p[3] = static_cast<uint8_t>(v >> 24);
  }
}

}  // namespace

TestSender::TestSender(const TestSenderConfig& config) : config_(config), rng_(config.seed) {}

TestSender::~TestSender() { join(); }

void TestSender::start() { thread_ = std::thread([this] { run(); }); }

void TestSender::join() {
  if (thread_.joinable()) thread_.join();
}

void TestSender::generate(uint64_t firstFrame, size_t frames, std::vector<uint8_t>& out) {
  const auto& f = config_.format;
  const unsigned bytes = f.bitsPerSample / 8;
  out.assign(frames * f.bytesPerFrame(), 0);
  for (size_t i = 0; i < frames; ++i) {
    const uint64_t frame = firstFrame + i;
    uint8_t* p = out.data() + i * f.bytesPerFrame();
    if (!config_.probe) {
      for (size_t b = 0; b < f.bytesPerFrame(); ++b) {
        rng_ = rng_ * 1664525u + 1013904223u;
        p[b] = static_cast<uint8_t>(rng_ >> 24);
      }
      continue;
    }
    const double t = static_cast<double>(frame) / f.sampleRate;
    putSample(p, bytes, 0.5 * std::sin(2 * M_PI * 997.0 * static_cast<double>(frame % (f.sampleRate * 1000)) / f.sampleRate));
    if (f.channels > 1) {
      // Marker k starts at frame k * rate + rate / 2 and lasts 10 ms.
      const uint64_t phase = (frame + f.sampleRate / 2) % f.sampleRate;
      const uint64_t burst = f.sampleRate / 100;
      const double m = phase < burst ? 0.5 * std::sin(2 * M_PI * 3000.0 * phase / f.sampleRate) : 0.0;
      putSample(p + bytes, bytes, m);
    }
    (void)t;
  }
}

void TestSender::run() {
  // Like the Windows driver's timer DPC, the sender must not be late because the machine is
  // busy: real-time priority when allowed (tests run as root), normal priority otherwise.
  sched_param param{};
  param.sched_priority = 30;
  pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
  sockaddr_in dest;
  const int fd = openSocket(config_.sourcePort, &dest, config_.destPort);
  const auto& f = config_.format;
  const double rate = f.sampleRate * (1.0 + config_.ppm * 1e-6);
  const uint32_t bpf = f.bytesPerFrame();
  protocol::Packetizer packetizer;
  uint64_t bytesSent = 0;
  size_t nextMarker = 0;
  int64_t sendNs = 0;
  auto emit = [&](const uint8_t* d, size_t n) {
    sendto(fd, d, n, 0, reinterpret_cast<const sockaddr*>(&dest), sizeof dest);
    ++datagrams_;
    const uint64_t firstFrame = bytesSent / bpf;
    bytesSent += n - protocol::kHeaderBytes;
    const uint64_t endFrame = bytesSent / bpf;
    const double midFrame = 0.5 * static_cast<double>(firstFrame + endFrame);
    const double produced = static_cast<double>(startNs_) + midFrame * 1e9 / rate;
    holdSumMs_ += (static_cast<double>(sendNs) - produced) * 1e-6 * static_cast<double>(endFrame - firstFrame);
    holdCount_ += static_cast<double>(endFrame - firstFrame);
    if (n == protocol::kDatagramBytes) {
      const double endProduced = static_cast<double>(startNs_) + static_cast<double>(endFrame) * 1e9 / rate;
      minSentAfterEndMs_ = std::min(minSentAfterEndMs_, (static_cast<double>(sendNs) - endProduced) * 1e-6);
      halfDatagramMs_ = 0.5 * static_cast<double>(endFrame - firstFrame) * 1e3 / rate;
    }
    for (; nextMarker < markers_.size() && markers_[nextMarker].frame < endFrame; ++nextMarker) {
      markers_[nextMarker].sendNs = sendNs;
    }
  };
  packetizer.setFormat(f, emit);
  startNs_ = monotonicNs();
  const uint64_t totalFrames = static_cast<uint64_t>(config_.seconds * rate);
  const int64_t stepNs = static_cast<int64_t>((config_.burstMs > 0 ? config_.burstMs : 1.0) * 1e6);
  std::vector<uint8_t> chunk;
  for (int64_t k = 1; frames_ < totalFrames; ++k) {
    const int64_t deadline = startNs_ + k * stepNs;
    timespec ts{static_cast<time_t>(deadline / 1'000'000'000), static_cast<long>(deadline % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
    }
    if (monotonicNs() - deadline > maxLatenessNs_) {
      maxLatenessNs_ = monotonicNs() - deadline;
      maxLatenessAtNs_ = deadline - startNs_;
    }
    const uint64_t due = std::min<uint64_t>(
        totalFrames, static_cast<uint64_t>(static_cast<double>(deadline - startNs_) * 1e-9 * rate));
    if (due <= frames_) continue;
    if (config_.probe && f.channels > 1) {
      // Markers sit half a second into each second; start from the current second so a chunk
      // that begins exactly on a marker frame still gets it.
      for (uint64_t m = frames_ / f.sampleRate; m * f.sampleRate + f.sampleRate / 2 < due; ++m) {
        const uint64_t frame = m * f.sampleRate + f.sampleRate / 2;
        if (frame < frames_) continue;
        markers_.push_back({frame, startNs_ + static_cast<int64_t>(static_cast<double>(frame) * 1e9 / rate), 0});
      }
    }
    generate(frames_, due - frames_, chunk);
    if (config_.recordPcm) pcm_.insert(pcm_.end(), chunk.begin(), chunk.end());
    sendNs = monotonicNs();
    packetizer.write(chunk.data(), chunk.size(), emit);
    frames_ = due;
  }
  sendNs = monotonicNs();
  packetizer.flush(emit);
  close(fd);
}

namespace {

// Builds one malformed datagram of the kind `reason` in buf (at least kDatagramBytes); returns its
// size. Only the bytes that make it wrong are fixed; the rest is random.
size_t malformedDatagram(protocol::PacketError reason, uint32_t& rng, uint8_t* buf) {
  auto next = [&rng] { return static_cast<uint8_t>((rng = rng * 1664525u + 1013904223u) >> 24); };
  for (size_t b = 0; b < protocol::kDatagramBytes; ++b) buf[b] = next();
  // A valid 48 kHz 16-bit stereo header, then one fault.
  auto header = [buf](uint8_t rate, uint8_t bits, uint8_t channels, uint16_t mask) {
    buf[0] = rate, buf[1] = bits, buf[2] = channels;
    buf[3] = static_cast<uint8_t>(mask), buf[4] = static_cast<uint8_t>(mask >> 8);
  };
  using protocol::PacketError;
  switch (reason) {
    case PacketError::kOk:
    case PacketError::kTooShort: return next() % protocol::kHeaderBytes;
    case PacketError::kBadRateMarker: header(next() & 0x80, 16, 2, 0x3); break;
    case PacketError::kBadBits: header(0x01, 12, 2, 0x3); break;
    case PacketError::kNoChannels: header(0x01, 16, 0, 0x3); break;
    case PacketError::kTooManyChannels:
      header(0x01, 16, static_cast<uint8_t>(9 + next() % 247), 0x3);
      break;
    case PacketError::kEmptyPayload: header(0x01, 16, 2, 0x3); return protocol::kHeaderBytes;
    case PacketError::kUnsupportedRate: header(0xFF, 32, 8, 0xFFFF); break;  // issue 22's datagram
    case PacketError::kPartialFrame: header(0x04, 32, 8, 0x63F); return protocol::kHeaderBytes + 31;
  }
  return protocol::kDatagramBytes;
}

}  // namespace

MalformedCounts sendMalformed(uint16_t port, int count, uint32_t seed,
                              const MalformedOptions& options) {
  sockaddr_in dest;
  const int fd = openSocket(0, &dest, port, options.sourceIpv4);
  uint8_t buf[protocol::kDatagramBytes];
  uint32_t rng = seed;
  MalformedCounts sent{};
  constexpr size_t kKinds = protocol::kPacketErrorCount - 1;  // every reason but kOk
  for (int i = 0; i < count; ++i) {
    const auto reason = static_cast<protocol::PacketError>(1 + static_cast<size_t>(i) % kKinds);
    const size_t n = malformedDatagram(reason, rng, buf);
    if (sendto(fd, buf, n, 0, reinterpret_cast<const sockaddr*>(&dest), sizeof dest) ==
        static_cast<ssize_t>(n)) {
      ++sent[static_cast<size_t>(reason)];
    }
    if (options.spacingNs > 0) {
      const timespec pause{0, static_cast<long>(options.spacingNs)};
      nanosleep(&pause, nullptr);
    }
  }
  close(fd);
  return sent;
}

}  // namespace scream::testing
