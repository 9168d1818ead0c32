// Machine stalls: times when no thread of this VM could run, whatever its priority.
//
// Measured on the test VMs (TESTING.md): a SCHED_FIFO 99 thread sleeping 1 ms at a time, on an
// idle machine, now and then wakes 7 ms late four times in a row (the vCPU got ~1 ms in 8 for
// ~30 ms), about twice a minute; each real-time glitch of the PulseAudio soak in ten runs fell in
// such a window (requests 51 ms apart against a 45 ms server buffer). No receiver setting at the
// test's latency bridges that, and a real card in a throttled VM would glitch too. So a
// real-time test runs this probe beside it and holds the receiver to zero glitches outside
// machine stalls; glitches inside one are reported, never hidden. The property "a stall is
// recovered from" belongs to the simulated-time engine tests.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/audio_analysis.h"

namespace scream::testing {

class MachineStallProbe {
 public:
  struct Stall {
    double startNs;  // CLOCK_MONOTONIC, the first late wake-up's due time
    double endNs;    // when the last late wake-up came
    double lostMs;   // the sum of the wake-ups' lateness: CPU time not given
    int cpu = -1;    // which CPU the probe thread that saw it was pinned to
  };

  MachineStallProbe();  // starts one probe thread per CPU
  ~MachineStallProbe();
  MachineStallProbe(const MachineStallProbe&) = delete;
  MachineStallProbe& operator=(const MachineStallProbe&) = delete;

  void stop();
  // Whether every probe ran at SCHED_FIFO 99 (without it lateness means nothing: no stalls).
  bool realtime() const;
  // Stops the probes, then: runs of late wake-ups on one CPU (each > kLateMs, no more than
  // kJoinMs apart) that lost at least minLostMs, all CPUs' in time order.
  std::vector<Stall> stalls(double minLostMs = kStallMs);
  // The same from one CPU's (due ns, lateness ms) pairs in time order: the rule alone, for its test.
  static std::vector<Stall> joinStalls(const std::vector<std::pair<double, double>>& late,
                                       double minLostMs, int cpu = -1);

  static constexpr double kLateMs = 3;
  static constexpr double kJoinMs = 20;
  // Lost this much within a run: the gap it left exceeds what the tests' buffers bridge.
  static constexpr double kStallMs = 20;

 private:
  // One per CPU, pinned to it: a vCPU the host does not run stalls only the threads on it (a
  // 79 ms gap between PulseAudio's requests came with a probe on the other CPU seeing nothing).
  struct Probe {
    int cpu = 0;
    bool realtime = false;
    std::vector<std::pair<double, double>> late;  // (due ns, lateness ms); the thread's until stop
    std::thread thread;
  };
  void run(Probe& probe);

  std::vector<std::unique_ptr<Probe>> probes_;
  std::atomic<bool> running_{true};
};

// Glitches split by whether they start within [stall start - 0.1 s, stall end + 0.5 s] of a
// machine stall (a glitch reaches the recording a little after the stall that caused it; a
// device renders a little ahead).
struct GlitchAttribution {
  std::vector<GlitchEvent> unexplained;
  std::vector<GlitchEvent> duringStalls;
  // How much of the run the stalls' windows cover, in seconds: a test asserts it is a small
  // share, or a machine stalled all the time would explain every glitch.
  double windowSeconds = 0;
  std::string text;  // every glitch, the stalls that explain them, how many stalls in all
};

// `playedNs(seconds)`: when the recording's second `seconds` played, CLOCK_MONOTONIC.
GlitchAttribution attributeGlitches(const GlitchReport& glitches,
                                    const std::vector<MachineStallProbe::Stall>& stalls,
                                    const std::function<double(double)>& playedNs);

// Whether the stalls' windows leave most of a run of `runSeconds` to judge: at most a fifth of
// it (or 3 s, about five stalls, in a short run). Measured here: ~4 stalls a minute, 4 %.
inline bool stallsAreRare(const GlitchAttribution& a, double runSeconds) {
  return a.windowSeconds <= std::max(0.2 * runSeconds, 3.0);
}

// Why a real-time test skips its verdict: the machine stalled too much of the run to tell the
// receiver's glitches from the machine's (measured 8-32 stalls a minute on a busy host).
inline std::string machineTooBusy(const GlitchAttribution& a) {
  return "the machine stalled for too much of this run to judge a real-time receiver (stall "
         "windows " + std::to_string(a.windowSeconds) + " s); every glitch:\n" + a.text;
}

// Whether CLOCK_MONOTONIC `ns` lies within `afterSec` after a stall (or during it): latency
// figures of markers played then measure the machine, not the receiver.
bool nearStall(const std::vector<MachineStallProbe::Stall>& stalls, double ns, double afterSec);

}  // namespace scream::testing
