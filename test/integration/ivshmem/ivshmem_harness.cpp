#include "ivshmem_harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

namespace scream::testing {

double soakSeconds() {
  const char* s = std::getenv("SCREAM_SOAK_SECONDS");
  return s ? std::atof(s) : 60.0;
}

ShmFile::ShmFile(const std::string& name) {
  const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  path = std::string(dir) + "/scream-ivshmem-it-" + name + "-" + std::to_string(getpid());
  unlink(path.c_str());
}

ShmFile::~ShmFile() {
  unlink(path.c_str());
}

void preCreate(const std::string& path, size_t bytes) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(bytes)), 0);
  close(fd);
}

std::unique_ptr<Process> startRawReader(const std::string& shmPath, const std::string& stdoutPath,
                                        const std::string& stderrPath) {
  auto p = std::make_unique<Process>(
      std::vector<std::string>{SCREAM_RECV_PATH, "-m", shmPath, "-o", "raw"}, stdoutPath,
      stderrPath);
  for (int i = 0; i < 500; ++i) {
    if (readFile(stderrPath).find("listening on IVSHMEM") != std::string::npos) return p;
    if (!p->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "scream-recv -m did not start: " << readFile(stderrPath);
  return p;
}

std::unique_ptr<Process> startToneWriter(const std::string& shmPath, const protocol::Format& f,
                                         double seconds, int sizeMiB, const std::string& dir) {
  return std::make_unique<Process>(
      std::vector<std::string>{
          SCREAM_SEND_PATH, "--source", "tone", "--rate", std::to_string(f.sampleRate), "--bits",
          std::to_string(f.bitsPerSample), "--channels", std::to_string(f.channels), "--mask",
          std::to_string(f.channelMask), "--ivshmem", shmPath, "--ivshmem-size",
          std::to_string(sizeMiB), "--duration", std::to_string(seconds)},
      dir + "/send.stdout", dir + "/send.stderr");
}

size_t chunkBytes(const protocol::Format& f) {
  return f.sampleRate / 50 * f.bytesPerFrame();
}

ToneMatcher::ToneMatcher(const protocol::Format& format)
    : format_(format), tone_(format), chunk_(chunkBytes(format)) {}

void ToneMatcher::expected(size_t n) {
  want_.resize(n);
  const size_t frames = n / format_.bytesPerFrame();
  EXPECT_EQ(tone_.read(want_.data(), frames), frames);
}

void ToneMatcher::feed(const uint8_t* data, size_t n) {
  if (startChunk_ < 0) {
    head_.insert(head_.end(), data, data + n);
    if (head_.size() < chunk_) return;
    constexpr int kMaxStart = 10;
    for (int k = 0; k < kMaxStart && startChunk_ < 0; ++k) {
      expected(chunk_);
      if (std::memcmp(want_.data(), head_.data(), chunk_) == 0) startChunk_ = k;
    }
    if (startChunk_ < 0) {
      firstMismatch_ = 0;
      return;
    }
    bytes_ = chunk_;
    const std::vector<uint8_t> rest(head_.begin() + static_cast<ptrdiff_t>(chunk_), head_.end());
    head_.clear();
    if (!rest.empty()) feed(rest.data(), rest.size());
    return;
  }
  if (firstMismatch_ < 0) {
    // The stream is whole frames; a read may end mid-frame, so keep the tail for the next call.
    head_.insert(head_.end(), data, data + n);
    const size_t whole = head_.size() / format_.bytesPerFrame() * format_.bytesPerFrame();
    expected(whole);
    const auto diff =
        std::mismatch(head_.begin(), head_.begin() + static_cast<ptrdiff_t>(whole), want_.begin());
    if (diff.first != head_.begin() + static_cast<ptrdiff_t>(whole)) {
      firstMismatch_ = static_cast<int64_t>(bytes_ + (diff.first - head_.begin()));
    }
    head_.erase(head_.begin(), head_.begin() + static_cast<ptrdiff_t>(whole));
  }
  bytes_ += n;
}

int64_t cpuNs(int pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  int64_t total = 0;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream stat(dir + "/" + e->d_name + "/schedstat");
    int64_t onCpu = 0;
    if (stat >> onCpu) total += onCpu;
  }
  closedir(d);
  return total;
}

}  // namespace scream::testing
