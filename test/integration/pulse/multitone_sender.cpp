#include "multitone_sender.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmath>

#include "protocol/packetizer.h"
#include "support/test_sender.h"

namespace scream::testing {

void sendMultiTone(uint16_t port, const protocol::Format& format, const std::vector<double>& hz,
                   double seconds) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in dest{};
  dest.sin_family = AF_INET;
  dest.sin_port = htons(port);
  dest.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // tests never leave the machine
  auto emit = [&](const uint8_t* d, size_t n) {
    sendto(fd, d, n, 0, reinterpret_cast<const sockaddr*>(&dest), sizeof dest);
  };
  protocol::Packetizer packetizer;
  packetizer.setFormat(format, emit);
  const int64_t start = monotonicNs();
  const auto total = static_cast<uint64_t>(seconds * format.sampleRate);
  uint64_t done = 0;
  std::vector<uint8_t> chunk;
  for (int64_t k = 1; done < total; ++k) {
    const int64_t deadline = start + k * 10'000'000;
    timespec ts{static_cast<time_t>(deadline / 1'000'000'000),
                static_cast<long>(deadline % 1'000'000'000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
    }
    const uint64_t due =
        std::min<uint64_t>(total, static_cast<uint64_t>(k) * format.sampleRate / 100);
    chunk.assign((due - done) * format.channels * 2, 0);
    for (uint64_t f = done; f < due; ++f) {
      for (unsigned c = 0; c < format.channels; ++c) {
        const double v =
            0.4 * std::sin(2 * M_PI * hz[c] * static_cast<double>(f) / format.sampleRate);
        const auto s = static_cast<int16_t>(std::lround(v * 32767));
        uint8_t* p = chunk.data() + ((f - done) * format.channels + c) * 2;
        p[0] = static_cast<uint8_t>(s & 0xff);
        p[1] = static_cast<uint8_t>((s >> 8) & 0xff);
      }
    }
    packetizer.write(chunk.data(), chunk.size(), emit);
    done = due;
  }
  packetizer.flush(emit);
  close(fd);
}

}  // namespace scream::testing
