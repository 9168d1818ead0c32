// Helpers for the IVSHMEM integration tests: the two programs, a shared file in /dev/shm, the
// tone scream-send writes (regenerated here to check bytes), and CPU time of a child.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocol/format.h"
#include "sender/tone_source.h"
#include "support/process.h"

namespace scream::testing {

double soakSeconds();

// A file in /dev/shm (or $TMPDIR) that is removed at the end.
struct ShmFile {
  explicit ShmFile(const std::string& name);
  ~ShmFile();
  std::string path;
};

// Creates the file at `bytes` now, so a reader maps it before the writer starts.
void preCreate(const std::string& path, size_t bytes);

// scream-recv -m PATH -o raw with stdout to `stdoutPath` (a file or a FIFO); waits until it
// logs that it listens. Fails the test if it does not.
std::unique_ptr<Process> startRawReader(const std::string& shmPath, const std::string& stdoutPath,
                                        const std::string& stderrPath);

// scream-send --source tone --ivshmem PATH in `format` for `seconds`.
std::unique_ptr<Process> startToneWriter(const std::string& shmPath, const protocol::Format& f,
                                         double seconds, int sizeMiB, const std::string& dir);

size_t chunkBytes(const protocol::Format& f);  // 20 ms

// Compares a byte stream with the tone in `format`, which it may join at any of the first few
// chunk boundaries (a reader starts at the writer's current chunk).
class ToneMatcher {
 public:
  explicit ToneMatcher(const protocol::Format& format);
  void feed(const uint8_t* data, size_t n);
  int startChunk() const { return startChunk_; }  // -1: not (yet) found
  uint64_t bytes() const { return bytes_; }
  int64_t firstMismatch() const { return firstMismatch_; }  // byte offset, -1: none

 private:
  void expected(size_t n);

  protocol::Format format_;
  sender::ToneSource tone_;
  size_t chunk_;
  std::vector<uint8_t> head_, want_;
  int startChunk_ = -1;
  uint64_t bytes_ = 0;
  int64_t firstMismatch_ = -1;
};

// CPU time (user + system) of all threads of `pid` so far, in ns, from /proc/PID/task/*/schedstat.
int64_t cpuNs(int pid);

}  // namespace scream::testing
