// Instantiates the header-only driver-core templates under the kernel's flag set, so that the
// freestanding check sees their code too (callbacks as the driver would pass them).
#include "driver/core/endpoint_formats.h"
#include "driver/core/ivshmem_ring_writer.h"
#include "driver/core/ordered_handoff.h"
#include "driver/core/sender_engine.h"
#include "driver/core/sender_settings.h"
#include "driver/core/spsc_record_ring.h"

namespace {
struct CountingEmit {
  size_t* total;
  void operator()(const uint8_t*, size_t size) const { *total += size; }
};
struct NoLock {
  void lock() {}
  void unlock() {}
};
struct IgnoreRejection {
  void operator()(const scream::driver::SettingRejection&) const {}
};
}  // namespace

extern "C" size_t scream_freestanding_driver_core(const uint8_t* buffer, uint32_t bytes,
                                                  const char16_t* name, size_t nameLength,
                                                  const char16_t* value, size_t valueLength) {
  using namespace scream;
  size_t total = 0;
  driver::SenderEngine engine;
  engine.setSilenceThreshold(480);
  engine.setNotificationCount(2);
  engine.start(0, 10'000'000, protocol::Format{48000, 24, 7, 0x7F}, buffer, bytes);
  total += engine.tick(100'000, CountingEmit{&total});
  engine.setMuted(true);
  engine.pause(200'000, CountingEmit{&total});
  engine.resume(300'000);
  engine.changeFormat(400'000, protocol::Format{44100, 16, 2, 0x3}, buffer, bytes,
                      CountingEmit{&total});
  total += engine.playOffsetBytes(500'000);
  engine.stop(CountingEmit{&total});

  driver::SenderSettings settings;
  settings.applyDword(name, nameLength, 5, IgnoreRejection{});
  settings.applyString(name, nameLength, value, valueLength, IgnoreRejection{});
  driver::WaveDescription wave;
  wave.integerPcm = true;
  wave.sampleRate = static_cast<uint32_t>(nameLength);
  protocol::Format wire;
  total += static_cast<size_t>(driver::judgeWave(wave, &wire));
  driver::OrderedHandoff<const uint8_t*, 64, NoLock> handoff;
  handoff.push(buffer);
  total += handoff.drain([&](const uint8_t* item) { total += item != nullptr; });
  driver::IvshmemRingWriter ivshmem;
  ivshmem.attach(const_cast<uint8_t*>(buffer), bytes);
  ivshmem.start(protocol::Format{48000, 16, 2, 3},
                driver::IvshmemRingWriter::chunkFrames(48000, settings.ivshmemChunkMs));
  ivshmem.write(buffer, bytes / 2);
  ivshmem.stop();
  driver::SpscRecordRing ring;
  ring.attach(const_cast<uint8_t*>(buffer), 4096);
  ring.push(1, buffer, 100);
  total += ring.drain([&](uint32_t type, const uint8_t* data, uint32_t size) {
    total += type + size + (data != nullptr);
  });
  return total + settings.destinationPort;
}
