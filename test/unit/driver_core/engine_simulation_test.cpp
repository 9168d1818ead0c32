// The sender engine against a simulated WaveRT audio engine: the audio engine wakes on its own
// jittered period, asks for the position (GetPosition) and writes a known signal ahead of it into
// the cyclic buffer; the driver's timer DPC ticks with 1-16 ms of seeded jitter. What leaves as
// datagrams must be the signal, byte for byte, with no frame lost, duplicated or drifted.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <vector>

#include "driver/core/sender_engine.h"
#include "protocol/channel_map.h"
#include "protocol/packet.h"

namespace scream::driver {
namespace {

using protocol::Format;
using protocol::kDatagramBytes;
using protocol::kHeaderBytes;
__extension__ typedef unsigned __int128 u128;  // exact reference arithmetic

constexpr uint64_t kQpc = 10'000'000;
constexpr uint64_t kMs = kQpc / 1000;

uint64_t exactFrames(uint64_t ticks, uint32_t rate) {
  return static_cast<uint64_t>(u128{ticks} * rate / kQpc);
}

uint8_t noiseByte(uint64_t i) {
  uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  return static_cast<uint8_t>(x * 0xBF58476D1CE4E5B9ull >> 56);
}

// One stream: the audio engine, the timer and the engine between them.
class Simulation {
 public:
  // Writes `frames` consecutive frames of the signal, starting at absolute frame `first`.
  using Signal = std::function<void(uint64_t first, size_t frames, uint8_t* out)>;
  using Emit = std::function<void(const uint8_t*, size_t)>;

  Simulation(const Format& format, uint32_t bufferFrames, Signal signal, uint32_t notificationCount,
             uint32_t silenceThreshold, uint64_t seed)
      : rng_(seed), signal_(std::move(signal)) {
    engine_.setNotificationCount(notificationCount);
    engine_.setSilenceThreshold(silenceThreshold);
    notificationCount_ = notificationCount;
    newStream(format, bufferFrames);
    EXPECT_EQ(engine_.start(now_, kQpc, format, buffer_.data(), buffer_.size()),
              protocol::FormatError::kOk);
  }

  SenderEngine& engine() { return engine_; }
  uint64_t now() const { return now_; }
  uint64_t notifications() const { return notifications_; }
  uint64_t playedFrames() const { return engine_.positionFrames(now_); }

  // Runs the audio engine and the timer until `end` (absolute counter), with a last tick at
  // exactly `end`. Checks on every tick that the engine's position is the exact one and that
  // every notification boundary crossed was reported.
  void runUntil(uint64_t end, const Emit& emit) {
    advance(end, emit);
    EXPECT_EQ(driftErrors_, 0u) << "ticks whose position was not the exact one";
    EXPECT_EQ(behindErrors_, 0u) << "the audio engine fell behind: broken simulation";
    EXPECT_EQ(notificationErrors_, 0u) << "ticks that reported the wrong notification count";
  }

 private:
  void advance(uint64_t end, const Emit& emit) {
    while (true) {
      const uint64_t next = nextTick_ < nextAudio_ ? nextTick_ : nextAudio_;
      if (next >= end) break;
      now_ = next;
      if (next == nextAudio_) {
        audioEngineWrites();
        nextAudio_ += 9 * kMs + rng_() % (2 * kMs + 1);  // ~10 ms period, +-1 ms
      } else {
        tick(emit);
        nextTick_ += kMs + rng_() % (15 * kMs + 1);  // 1-16 ms
      }
    }
    now_ = end;
    audioEngineWrites();
    tick(emit);
  }

 public:
  // A format change now: the engine finishes the old buffer, then plays a new one from 0.
  void changeFormat(const Format& format, uint32_t bufferFrames, Signal signal, const Emit& emit) {
    signal_ = std::move(signal);
    std::vector<uint8_t> old;
    old.swap(buffer_);  // must stay valid while the engine drains it
    newStream(format, bufferFrames);
    ASSERT_EQ(engine_.changeFormat(now_, format, buffer_.data(), buffer_.size(), emit),
              protocol::FormatError::kOk);
  }

 private:
  void newStream(const Format& format, uint32_t bufferFrames) {
    format_ = format;
    bpf_ = format.bytesPerFrame();
    bufferFrames_ = bufferFrames;
    buffer_.assign(size_t{bufferFrames} * bpf_, 0xEE);
    startCounter_ = now_;
    written_ = 0;
    lastPlayedBytes_ = 0;
    nextTick_ = now_ + kMs + rng_() % (4 * kMs);
    nextAudio_ = now_ + 1;
    audioEngineWrites();  // the first period is written before RUN
  }

  void audioEngineWrites() {
    // Writes ahead of the position it is told, as the Windows audio engine does: 20 ms lead.
    const uint64_t target = exactFrames(now_ - startCounter_, format_.sampleRate) +
                            exactFrames(20 * kMs, format_.sampleRate);
    while (written_ < target) {
      const uint64_t offset = written_ % bufferFrames_;
      uint64_t frames = bufferFrames_ - offset;
      if (frames > target - written_) frames = target - written_;
      signal_(written_, static_cast<size_t>(frames), buffer_.data() + offset * bpf_);
      written_ += frames;
    }
  }

  // Plain counters instead of gtest assertions: this runs ten million times a simulated day.
  void tick(const Emit& emit) {
    const uint64_t crossed = engine_.tick(now_, emit);
    const uint64_t position = exactFrames(now_ - startCounter_, format_.sampleRate);
    driftErrors_ += engine_.positionFrames(now_) != position;
    behindErrors_ += position > written_;  // the audio engine fell behind: broken simulation
    const uint64_t interval = notificationCount_ ? bufferFrames_ * bpf_ / notificationCount_ : 0;
    if (interval > 0) {
      const uint64_t bytes = position * bpf_;
      notificationErrors_ += crossed != bytes / interval - lastPlayedBytes_ / interval;
      lastPlayedBytes_ = bytes;
    }
    notifications_ += crossed;
  }

  std::mt19937_64 rng_;
  SenderEngine engine_;
  Signal signal_;
  Format format_;
  std::vector<uint8_t> buffer_;
  uint32_t bpf_ = 1;
  uint32_t bufferFrames_ = 1;
  uint32_t notificationCount_ = 0;
  uint64_t now_ = 1'234'567;  // the counter is far from 0 at the first RUN
  uint64_t startCounter_ = 0;
  uint64_t written_ = 0;
  uint64_t nextTick_ = 0;
  uint64_t nextAudio_ = 0;
  uint64_t lastPlayedBytes_ = 0;
  uint64_t notifications_ = 0;
  uint64_t driftErrors_ = 0;
  uint64_t behindErrors_ = 0;
  uint64_t notificationErrors_ = 0;
};

struct Received {
  std::vector<std::vector<uint8_t>> datagrams;
  Simulation::Emit emit() {
    return [this](const uint8_t* d, size_t n) { datagrams.emplace_back(d, d + n); };
  }
  // The PCM of all datagrams whose header says `format`.
  std::vector<uint8_t> pcm(const Format& format) const {
    std::vector<uint8_t> all;
    for (const auto& d : datagrams) {
      protocol::Packet p;
      EXPECT_EQ(protocol::parsePacket(d.data(), d.size(), &p), protocol::PacketError::kOk);
      if (p.format == format) all.insert(all.end(), p.pcm, p.pcm + p.pcmBytes);
    }
    return all;
  }
  size_t shortDatagrams() const {
    size_t n = 0;
    for (const auto& d : datagrams) n += d.size() != kDatagramBytes;
    return n;
  }
};

// What must arrive for the signal's frames [0, frames) through a gate with `threshold`: the
// bytes, and how many datagrams are short (a flush when the gate closes, and at the end).
struct Expected {
  std::vector<uint8_t> pcm;
  size_t shortDatagrams = 0;
};

Expected expectedStream(const Simulation::Signal& signal, uint32_t bpf, uint64_t frames,
                        uint32_t threshold) {
  Expected out;
  std::vector<uint8_t> frame(bpf);
  uint64_t run = 0;
  size_t fill = 0;  // bytes in the payload under construction
  bool suppressing = false;
  for (uint64_t f = 0; f < frames; ++f) {
    signal(f, 1, frame.data());
    bool silent = true;
    for (uint8_t b : frame) silent = silent && b == 0;
    run = silent ? run + 1 : 0;
    const bool pass = threshold == 0 || run <= threshold;
    if (pass) {
      out.pcm.insert(out.pcm.end(), frame.begin(), frame.end());
      fill = (fill + bpf) % protocol::kPayloadBytes;
    } else if (!suppressing && fill > 0) {
      ++out.shortDatagrams;
      fill = 0;
    }
    suppressing = !pass;
  }
  if (fill > 0) ++out.shortDatagrams;
  return out;
}

Simulation::Signal noise(uint32_t bpf, uint64_t salt = 0) {
  return [bpf, salt](uint64_t first, size_t frames, uint8_t* out) {
    for (size_t i = 0; i < frames * bpf; ++i) out[i] = noiseByte(first * bpf + i + salt);
  };
}

TEST(DriverEngineSimulation, EveryLayoutIsReproducedByteExact) {
  uint64_t seed = 1;
  for (uint8_t bits : {16, 24, 32}) {
    for (uint8_t channels = 1; channels <= 8; ++channels) {
      const Format format{channels % 2 ? 44100u : 96000u, bits, channels,
                          protocol::defaultMaskForChannels(channels)};
      const uint32_t bpf = format.bytesPerFrame();
      SCOPED_TRACE(testing::Message() << format.sampleRate << " Hz " << int(bits) << " bit "
                                      << int(channels) << " ch");
      const uint32_t bufferFrames = format.sampleRate / 10;
      Simulation sim(format, bufferFrames, noise(bpf), 2, 0, seed++);
      Received rx;
      sim.runUntil(sim.now() + 2 * kQpc + 777, rx.emit());
      sim.engine().stop(rx.emit());
      const uint64_t frames = exactFrames(2 * kQpc + 777, format.sampleRate);
      const Expected expected = expectedStream(noise(bpf), bpf, frames, 0);
      EXPECT_EQ(rx.pcm(format), expected.pcm);
      EXPECT_EQ(rx.shortDatagrams(), expected.shortDatagrams) << "only the final flush";
      EXPECT_EQ(sim.notifications(), frames * bpf / (bufferFrames * bpf / 2));
      EXPECT_EQ(sim.engine().stats().framesSkipped, 0u);
    }
  }
}

// Noise with silent gaps of several lengths, some shorter and some longer than the threshold.
Simulation::Signal gappy(uint32_t bpf, uint32_t rate) {
  return [bpf, rate](uint64_t first, size_t frames, uint8_t* out) {
    for (uint64_t f = first; f < first + frames; ++f, out += bpf) {
      const uint64_t inSecond = f % rate;
      const bool silent = (inSecond >= rate / 4 && inSecond < rate / 4 + 50) ||
                          (inSecond >= rate / 2 && inSecond < rate / 2 + rate / 5) ||
                          inSecond >= rate - 1000;
      for (uint32_t i = 0; i < bpf; ++i) out[i] = silent ? 0 : (noiseByte(f * bpf + i) | 1);
    }
  };
}

TEST(DriverEngineSimulation, SilenceIsSuppressedAndResumedAtFrameBoundaries) {
  for (uint8_t bits : {16, 24, 32}) {
    for (uint8_t channels : {2, 5}) {
      SCOPED_TRACE(testing::Message() << int(bits) << " bit " << int(channels) << " ch");
      const Format format{48000, bits, channels, protocol::defaultMaskForChannels(channels)};
      const uint32_t bpf = format.bytesPerFrame();
      const uint32_t threshold = 480;  // 10 ms
      Simulation sim(format, 9600, gappy(bpf, 48000), 2, threshold, 40 + bits);
      Received rx;
      sim.runUntil(sim.now() + 5 * kQpc, rx.emit());
      sim.engine().stop(rx.emit());
      const Expected expected = expectedStream(gappy(bpf, 48000), bpf, 5 * 48000, threshold);
      EXPECT_EQ(rx.pcm(format), expected.pcm);
      // Per second two gaps are long enough to stop the stream (9600 and 1000 frames); the
      // 50-frame gap is not.
      EXPECT_EQ(sim.engine().stats().framesSuppressed, 5u * (9600 - 480) + 5u * (1000 - 480));
      EXPECT_EQ(rx.shortDatagrams(), expected.shortDatagrams);
      // Each second one stop comes mid-payload (flushed at once); the other may not.
      EXPECT_GE(rx.shortDatagrams(), 5u);
    }
  }
}

TEST(DriverEngineSimulation, FormatChangeMidStream) {
  const Format a{48000, 16, 2, 0x3};
  const Format b{44100, 24, 6, 0x3F};
  Simulation sim(a, 4800, noise(4), 4, 0, 77);
  Received rx;
  sim.runUntil(sim.now() + kQpc + 3 * kMs + 5, rx.emit());
  const uint64_t framesA = sim.playedFrames();
  sim.changeFormat(b, 4410, noise(18, 1'000'000), rx.emit());
  const size_t datagramsA = rx.datagrams.size();
  sim.runUntil(sim.now() + kQpc, rx.emit());
  sim.engine().stop(rx.emit());
  EXPECT_EQ(framesA, exactFrames(kQpc + 3 * kMs + 5, 48000));
  EXPECT_EQ(rx.pcm(a), expectedStream(noise(4), 4, framesA, 0).pcm);
  EXPECT_EQ(rx.pcm(b), expectedStream(noise(18, 1'000'000), 18, 44100, 0).pcm);
  EXPECT_NE(rx.datagrams[datagramsA - 1].size(), kDatagramBytes) << "old format flushed";
  EXPECT_EQ(rx.shortDatagrams(), 2u);
}

TEST(DriverEngineSimulation, MuteSendsSilenceThatTheGateSuppresses) {
  const Format format{48000, 24, 2, 0x3};
  Simulation sim(format, 4800, noise(6), 2, 960, 5);
  Received rx;
  const uint64_t t0 = sim.now();
  sim.runUntil(t0 + kQpc, rx.emit());
  sim.engine().setMuted(true);
  sim.runUntil(t0 + 2 * kQpc, rx.emit());
  sim.engine().setMuted(false);
  sim.runUntil(t0 + 3 * kQpc, rx.emit());
  sim.engine().stop(rx.emit());
  // Expected: second 1 of the signal, 960 zero frames, second 3 of the signal.
  const auto all = expectedStream(noise(6), 6, 3 * 48000, 0).pcm;
  std::vector<uint8_t> expected(all.begin(), all.begin() + 48000 * 6);
  expected.insert(expected.end(), 960 * 6, 0);
  expected.insert(expected.end(), all.begin() + 2 * 48000 * 6, all.end());
  EXPECT_EQ(rx.pcm(format), expected);
  EXPECT_EQ(sim.engine().stats().framesSuppressed, 48000u - 960);
}

// 24 hours at 48 kHz in simulated time, every byte checked. 16-bit mono keeps it to 8.3 GB. The
// sample of frame f is ((lo ^ hi) * K + hi) mod 2^16 with lo, hi the halves of f mod 2^32: a
// bijection of lo within each 65536-frame block and different for every block of the run, so
// any frame lost, repeated or misplaced shows up as a mismatch.
//
// The two helpers below are the test's own signal generator and checker, run over 8.3 GB each:
// they are left out of sanitizer instrumentation (which would stop them from being vectorized
// and make the test take minutes). The engine and packetizer code under test stays instrumented.
#define SCREAM_UNINSTRUMENTED __attribute__((no_sanitize("address", "undefined")))

SCREAM_UNINSTRUMENTED inline uint16_t signatureSample(uint16_t hi, uint16_t lo) {
  return static_cast<uint16_t>(static_cast<uint16_t>(lo ^ hi) * uint16_t{0x9E37} + hi);
}

SCREAM_UNINSTRUMENTED void writeSignature(uint64_t first, size_t frames, uint8_t* out) {
  while (frames > 0) {
    const uint32_t f = static_cast<uint32_t>(first);
    const uint16_t hi = static_cast<uint16_t>(f >> 16);
    uint16_t lo = static_cast<uint16_t>(f);
    const size_t n = std::min<size_t>(frames, 65536 - size_t{lo});
    for (size_t i = 0; i < n; ++i, ++lo) {
      const uint16_t v = signatureSample(hi, lo);
      memcpy(out + 2 * i, &v, 2);  // little-endian host (x86) = the wire's byte order
    }
    out += 2 * n;
    first += n;
    frames -= n;
  }
}

SCREAM_UNINSTRUMENTED uint64_t countMismatches(uint64_t first, size_t frames, const uint8_t* in) {
  uint64_t bad = 0;
  while (frames > 0) {
    const uint32_t f = static_cast<uint32_t>(first);
    const uint16_t hi = static_cast<uint16_t>(f >> 16);
    uint16_t lo = static_cast<uint16_t>(f);
    const size_t n = std::min<size_t>(frames, 65536 - size_t{lo});
    uint32_t mismatches = 0;
    for (size_t i = 0; i < n; ++i, ++lo) {
      uint16_t got;
      memcpy(&got, in + 2 * i, 2);
      mismatches += got != signatureSample(hi, lo);
    }
    bad += mismatches;
    in += 2 * n;
    first += n;
    frames -= n;
  }
  return bad;
}

TEST(DriverEngineSimulation, TwentyFourHoursAt48kHzWithoutAFrameLostOrDrifted) {
  const Format format{48000, 16, 1, 0x4};
  const uint32_t bufferFrames = 4800;  // 100 ms, two notifications per pass
  Simulation sim(format, bufferFrames, writeSignature, 2, 0, 2024);
  uint8_t header[kHeaderBytes];
  ASSERT_EQ(protocol::encodeHeader(format, header), protocol::FormatError::kOk);
  uint64_t frame = 0;
  uint64_t datagrams = 0;
  uint64_t bad = 0;
  const Simulation::Emit check = [&](const uint8_t* d, size_t n) {
    bad += n != kDatagramBytes || memcmp(d, header, kHeaderBytes) != 0;
    const size_t samples = (n - kHeaderBytes) / 2;
    bad += countMismatches(frame, samples, d + kHeaderBytes);
    frame += samples;
    ++datagrams;
  };
  const uint64_t day = 24ull * 3600 * kQpc;
  const uint64_t start = sim.now();
  // In hour-long legs so that a failure says when; the position is checked on every tick.
  for (uint64_t hour = 1; hour <= 24; ++hour) {
    sim.runUntil(start + hour * day / 24, check);
    ASSERT_EQ(bad, 0u) << "in hour " << hour;
  }
  sim.engine().stop(check);
  const uint64_t frames = 24ull * 3600 * 48000;
  EXPECT_EQ(frame, frames);
  EXPECT_EQ(datagrams, frames * 2 / protocol::kPayloadBytes);
  EXPECT_EQ(sim.notifications(), frames / (bufferFrames / 2));
  EXPECT_EQ(sim.engine().stats().framesSkipped, 0u);
  EXPECT_EQ(bad, 0u);
}

}  // namespace
}  // namespace scream::driver
