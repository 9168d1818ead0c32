// Latency-marker send times as JSON lines, one per marker:
//   {"marker":N,"frame":F,"send_ns":T}
// N counts markers from 0, F is the marker's first frame, T is CLOCK_MONOTONIC in ns taken just
// before the datagram carrying the marker's first frame was handed to sendto. Each line is
// flushed at once so a benchmark can follow the file while the sender runs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>

namespace scream::sender {

class MarkerLog {
 public:
  // nullptr with *error set when the file cannot be created.
  static std::unique_ptr<MarkerLog> open(const std::string& path, std::string* error);
  ~MarkerLog();

  // A marker whose first byte is byte `streamOffset` of the PCM handed to the packetizer.
  void expect(uint64_t frame, uint64_t streamOffset);
  // `payloadBytesSent` PCM bytes have now left in datagrams, the last one sent at `sendNs`: logs
  // every marker inside them.
  void sent(uint64_t payloadBytesSent, uint64_t sendNs);

  uint64_t logged() const { return logged_; }

 private:
  explicit MarkerLog(std::FILE* file) : file_(file) {}

  struct Pending {
    uint64_t index;
    uint64_t frame;
    uint64_t offset;
  };
  std::FILE* file_;
  std::deque<Pending> pending_;
  uint64_t next_ = 0;
  uint64_t logged_ = 0;
};

}  // namespace scream::sender
