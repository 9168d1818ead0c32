// Test helpers for scream-send: run it as a child process, capture what it sends on a
// 127.0.0.1 UDP socket (with arrival times and the IP header fields the kernel reports), and
// write WAV files. Never sends anywhere but loopback.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "protocol/format.h"

namespace scream::test {

uint64_t monotonicNs();

struct Datagram {
  std::vector<uint8_t> bytes;
  uint64_t arrivalNs = 0;  // CLOCK_MONOTONIC right after recvmsg
  int tos = -1;            // from IP_RECVTOS
  int ttl = -1;            // from IP_RECVTTL
  uint16_t sourcePort = 0;
};

// A UDP socket on 127.0.0.1 (or the given address) and an ephemeral port, read by a thread.
class UdpCapture {
 public:
  explicit UdpCapture(const char* address = "127.0.0.1", uint16_t port = 0);
  ~UdpCapture();
  uint16_t port() const { return port_; }
  int fd() const { return fd_; }
  // Joins a multicast group on the interface with the given local address.
  bool join(const char* group, const char* interfaceAddress);
  void start();
  // Stops the reader after the socket has been quiet for `quietMs`.
  std::vector<Datagram> finish(int quietMs = 200);

 private:
  void run();
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Datagram> datagrams_;
};

struct ProcessResult {
  int exitCode = -1;  // -1: killed by a signal or timed out
  bool timedOut = false;
  std::string out;
  std::string err;
};

// Runs scream-send with `args`; stdin from `stdinPath` (or /dev/null). Kills it (by pid) after
// `timeoutMs`.
class SenderProcess {
 public:
  SenderProcess(const std::vector<std::string>& args, const std::string& stdinPath = "");
  ~SenderProcess();
  pid_t pid() const { return pid_; }
  void signal(int sig);
  ProcessResult wait(int timeoutMs);

 private:
  pid_t pid_ = -1;
  std::string outPath_;
  std::string errPath_;
  bool reaped_ = false;
};

ProcessResult runSender(const std::vector<std::string>& args, int timeoutMs,
                        const std::string& stdinPath = "");

// A fresh directory under /tmp, removed with its files on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void writeFile(const std::string& path, const std::vector<uint8_t>& bytes);
// A WAV file: WAVE_FORMAT_PCM, or WAVE_FORMAT_EXTENSIBLE with the format's channel mask. An
// extra odd-sized chunk before "data" checks that the reader skips chunks with padding.
void writeWav(const std::string& path, const protocol::Format& format,
              const std::vector<uint8_t>& pcm, bool extensible, uint16_t formatTag = 1);

// Concatenated PCM of the datagrams (after the 5-byte header).
std::vector<uint8_t> payload(const std::vector<Datagram>& datagrams);
std::vector<uint8_t> randomPcm(size_t bytes, uint32_t seed);

}  // namespace scream::test
