// The receiver's IVSHMEM input (-m PATH): the shared-memory file of a Scream writer (the Windows
// driver behind QEMU's ivshmem device, or scream-send --ivshmem), mapped read-only and followed
// by an IvshmemReader. Takes the place of UdpInput in the receiver loop: chunks come out as
// packets stamped with the time they were seen.
//
// Waiting costs nothing noticeable: while there is no file or no writer it sleeps 50 ms between
// looks (a writer that started meanwhile is still played from its first chunk, see
// IvshmemReader); while a stream runs it looks every 2 ms (a chunk is seen at most 2 ms late).
// A writer that restarts (header zeroed, maybe a new format or a larger file) is picked up
// without restarting the receiver. Runs in the network thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ivshmem_reader.h"

namespace scream::receiver {

class IvshmemInput {
 public:
  static constexpr int kStreamPollMs = 2;
  static constexpr int kIdlePollMs = 50;

  static constexpr int kFileCheckMs = 100;

  // Never fails: a missing or empty file is waited for (see takeNotice()). The file is looked at
  // every fileCheckMs: it may appear, be replaced or grow for a writer that needs more chunks.
  explicit IvshmemInput(std::string path, int fileCheckMs = kFileCheckMs);
  ~IvshmemInput();
  IvshmemInput(const IvshmemInput&) = delete;
  IvshmemInput& operator=(const IvshmemInput&) = delete;

  // Waits up to timeoutMs for new chunks and delivers them (arrivalNs = CLOCK_MONOTONIC when
  // seen). Returns the number delivered, 0 on timeout.
  int receive(int timeoutMs, const std::function<void(const protocol::Packet&, int64_t)>& handler);

  // A line worth logging once when the input's situation changed (file appeared, writer started
  // or stopped, bad header, chunks skipped after a lap); "" when nothing changed since the last
  // call.
  std::string takeNotice();
  const IvshmemReader& reader() const { return reader_; }
  std::string describe() const { return "IVSHMEM " + path_; }

 private:
  void refreshMapping(int64_t nowNs);
  int guardedPoll(const IvshmemReader::Handler& handler);
  void unmap();
  void noteState();
  void addNotice(const std::string& text);

  std::string path_;
  int64_t fileCheckNs_;
  int fd_ = -1;
  void* map_ = nullptr;
  size_t mapBytes_ = 0;
  int64_t nextFileCheckNs_ = 0;
  IvshmemReader reader_;
  std::string notice_;
  bool warnedMissing_ = false;
  IvshmemReader::State lastState_ = IvshmemReader::State::kNoWriter;
  IvshmemHeaderError lastError_ = IvshmemHeaderError::kOk;
  protocol::Format lastFormat_;
  uint64_t reportedLaps_ = 0;
};

}  // namespace scream::receiver
