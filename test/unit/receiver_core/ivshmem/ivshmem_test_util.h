// A shared file as the IVSHMEM tests need it: the real writer of scream-send on one side, a
// read-only mapping (what scream-recv maps) on the other. Files go to /dev/shm when it exists.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>

#include "sender/ivshmem_writer.h"

namespace scream::receiver::test {

inline int64_t nowNs() {  // CLOCK_MONOTONIC, as the reader uses
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline std::string uniqueShmPath(const char* name) {
  static std::atomic<int> counter{0};
  const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return std::string(dir) + "/scream-ivshmem-test-" + name + "-" + std::to_string(getpid()) + "-" +
         std::to_string(counter++);
}

// Maps `path` read-only, as the receiver does; unmapped and the file removed at the end.
class ReadOnlyMapping {
 public:
  explicit ReadOnlyMapping(std::string path) : path_(std::move(path)) {
    const int fd = open(path_.c_str(), O_RDONLY);
    if (fd < 0) return;
    bytes_ = static_cast<size_t>(lseek(fd, 0, SEEK_END));
    void* map = mmap(nullptr, bytes_, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map != MAP_FAILED) base_ = static_cast<const uint8_t*>(map);
  }
  ~ReadOnlyMapping() {
    if (base_ != nullptr) munmap(const_cast<uint8_t*>(base_), bytes_);
    unlink(path_.c_str());
  }
  ReadOnlyMapping(const ReadOnlyMapping&) = delete;
  ReadOnlyMapping& operator=(const ReadOnlyMapping&) = delete;

  const uint8_t* base() const { return base_; }
  size_t bytes() const { return bytes_; }

 private:
  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace scream::receiver::test
