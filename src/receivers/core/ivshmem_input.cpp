#include "ivshmem_input.h"
#include "receivers/core/monotonic_clock.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace scream::receiver {

namespace {

// A file shrunk under the mapping (truncate, a careless writer) turns reads of the lost pages
// into SIGBUS. Reads of the mapping happen only inside guardedPoll(); a SIGBUS there jumps back
// and the file is looked at again. Anywhere else SIGBUS keeps its default action.
thread_local sigjmp_buf* tMappingGuard = nullptr;

void onSigbus(int sig, siginfo_t*, void*) {
  if (tMappingGuard != nullptr) siglongjmp(*tMappingGuard, 1);
  signal(sig, SIG_DFL);  // not ours: returning re-runs the access, which now kills as usual
}

void installSigbusHandler() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_sigaction = onSigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    return sigaction(SIGBUS, &action, nullptr) == 0;
  }();
  (void)installed;
}

void sleepNs(int64_t ns) {
  const timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  nanosleep(&ts, nullptr);
}

}  // namespace

IvshmemInput::IvshmemInput(std::string path, int fileCheckMs)
    : path_(std::move(path)), fileCheckNs_(int64_t{fileCheckMs} * 1'000'000) {
  installSigbusHandler();
}

IvshmemInput::~IvshmemInput() {
  unmap();
  if (fd_ >= 0) close(fd_);
}

void IvshmemInput::unmap() {
  if (map_ != nullptr) munmap(map_, mapBytes_);
  map_ = nullptr;
  mapBytes_ = 0;
  reader_.attach(nullptr, 0);
}

// Opens the file if it is there, reopens it if the path now names another file, and remaps it
// when its size changed. A writer never shrinks the file (a read past its end would be SIGBUS).
void IvshmemInput::refreshMapping(int64_t nowNs) {
  if (nowNs < nextFileCheckNs_) return;
  nextFileCheckNs_ = nowNs + fileCheckNs_;
  struct stat byPath {};
  if (stat(path_.c_str(), &byPath) != 0) {
    if (!warnedMissing_) {
      addNotice("waiting for " + path_ + " to appear (" + std::strerror(errno) + ")");
      warnedMissing_ = true;
    }
    return;
  }
  struct stat byFd {};
  if (fd_ >= 0 &&
      (fstat(fd_, &byFd) != 0 || byFd.st_ino != byPath.st_ino || byFd.st_dev != byPath.st_dev)) {
    unmap();
    close(fd_);
    fd_ = -1;
  }
  if (fd_ < 0) {
    fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      if (!warnedMissing_) {
        addNotice("cannot open " + path_ + " (" + std::strerror(errno) + "); retrying");
        warnedMissing_ = true;
      }
      return;
    }
    warnedMissing_ = false;
    if (fstat(fd_, &byFd) != 0) return;
  }
  const size_t size = static_cast<size_t>(byFd.st_size);
  if (size == mapBytes_) return;
  unmap();
  if (size == 0) return;
  void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd_, 0);
  if (map == MAP_FAILED) {
    addNotice("cannot map " + path_ + ": " + std::strerror(errno));
    return;
  }
  map_ = map;
  mapBytes_ = size;
  reader_.attach(static_cast<const uint8_t*>(map_), mapBytes_);
}

void IvshmemInput::noteState() {
  if (reader_.laps() != reportedLaps_) {
    // Audio was lost, not played out of order: say so, since nothing else will.
    reportedLaps_ = reader_.laps();
    addNotice("fell behind the writer by up to a whole ring of chunks: skipped to its newest "
              "chunk (" + std::to_string(reportedLaps_) + " times so far)");
  }
  const IvshmemReader::State state = reader_.state();
  const IvshmemHeaderError error = reader_.lastError();
  const bool streaming = state == IvshmemReader::State::kStreaming;
  const protocol::Format format = streaming ? reader_.layout().format : protocol::Format{};
  if (state == lastState_ && error == lastError_ && format == lastFormat_) return;
  if (streaming) {
    const IvshmemLayout& l = reader_.layout();
    addNotice("writer started: " + std::to_string(format.sampleRate) + " Hz " +
              std::to_string(format.bitsPerSample) + " bit " + std::to_string(format.channels) +
              " ch, " + std::to_string(l.maxChunks) + " chunks of " + std::to_string(l.chunkBytes) +
              " bytes");
  } else if (state == IvshmemReader::State::kBadHeader) {
    addNotice(std::string("ignoring the header in ") + path_ + ": " + receiver::describe(error));
  } else if (lastState_ == IvshmemReader::State::kStreaming) {
    addNotice("writer stopped");
  }
  lastState_ = state;
  lastError_ = error;
  lastFormat_ = format;
}

int IvshmemInput::guardedPoll(const IvshmemReader::Handler& handler) {
  sigjmp_buf guard;
  if (sigsetjmp(guard, 0) != 0) {  // SA_NODEFER: no mask to restore, no syscall per poll
    tMappingGuard = nullptr;
    addNotice(path_ + " shrank under the mapping; mapping it again");
    unmap();
    nextFileCheckNs_ = 0;
    return 0;
  }
  tMappingGuard = &guard;
  // Chunks are handed on from the reader's own copy: the handler runs unguarded.
  const int got = reader_.poll([&](const protocol::Packet& p) {
    tMappingGuard = nullptr;
    handler(p);
    tMappingGuard = &guard;
  });
  tMappingGuard = nullptr;
  return got;
}

void IvshmemInput::addNotice(const std::string& text) {
  notice_ += (notice_.empty() ? "" : "; ") + text;
}

std::string IvshmemInput::takeNotice() {
  return std::exchange(notice_, std::string());
}

int IvshmemInput::receive(int timeoutMs,
                          const std::function<void(const protocol::Packet&, int64_t)>& handler) {
  const int64_t deadline = monotonicNs() + int64_t{std::max(timeoutMs, 0)} * 1'000'000;
  for (;;) {
    const int64_t now = monotonicNs();
    refreshMapping(now);
    const bool streaming = reader_.state() == IvshmemReader::State::kStreaming;
    const int got = guardedPoll([&](const protocol::Packet& p) { handler(p, now); });
    noteState();
    if (got > 0 || now >= deadline || !notice_.empty()) return got;
    const int pollMs = streaming ? kStreamPollMs : kIdlePollMs;
    sleepNs(std::min(int64_t{pollMs} * 1'000'000, deadline - now));
  }
}

}  // namespace scream::receiver
