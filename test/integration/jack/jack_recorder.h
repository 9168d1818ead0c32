// A JACK client in the test binary: one input port per channel, connected to the receiver's
// output ports, recording what they carry into a buffer allocated before it starts. Every cycle
// is stamped with its start time, so frames are placed by the cycle that carried them (the
// server's clock need not be CLOCK_MONOTONIC's). Also asks the server about ports and connections.
#pragma once

#include <jack/jack.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "support/device_timeline.h"

namespace scream::testing {

class JackRecorder {
 public:
  JackRecorder(unsigned channels, double maxSeconds);
  ~JackRecorder();
  bool open(std::string* error);  // client active, not yet recording

  // Waits until `port` exists (the receiver registers its ports when the stream starts).
  bool waitForPort(const std::string& port, int timeoutMs);
  // Connects the receiver's ports, one to each of our inputs in order.
  bool connect(const std::vector<std::string>& sources, std::string* error);
  void record(bool on) { recording_.store(on); }

  uint32_t rate() const { return rate_; }
  size_t frames() const { return written_.load() / channels_; }
  std::vector<float> channel(unsigned index) const;
  uint64_t xruns() const { return xruns_.load(); }
  // When each recorded frame was in a cycle: playedNs(f) is CLOCK_MONOTONIC ns of the start of
  // the cycle that carried frame f, plus f's place in it. Call after record(false).
  DeviceTimeline timeline() const;

  // Full port names of a client, in the server's order (registration order).
  std::vector<std::string> portsOf(const std::string& client) const;
  std::vector<std::string> connectionsOf(const std::string& port) const;

 private:
  static int onProcess(jack_nframes_t frames, void* self);
  static int onXrun(void* self);

  unsigned channels_;
  double maxSeconds_;
  uint32_t rate_ = 0;
  jack_client_t* client_ = nullptr;
  std::vector<jack_port_t*> ports_;
  std::vector<float> samples_;  // interleaved, sized in open()
  std::atomic<size_t> written_{0};
  std::atomic<bool> recording_{false};
  std::atomic<uint64_t> xruns_{0};
  std::vector<DeviceStamp> cycles_;  // first frame and start of each recorded cycle, sized in open()
  std::atomic<size_t> cyclesWritten_{0};
  int64_t clockOffsetNs_ = 0;  // CLOCK_MONOTONIC - jack_get_time()
};

}  // namespace scream::testing
