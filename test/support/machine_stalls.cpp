#include "support/machine_stalls.h"

#include "receivers/core/monotonic_clock.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cstdio>

namespace scream::testing {

namespace {

using receiver::monotonicNs;

constexpr int64_t kTickNs = 1'000'000;

}  // namespace

MachineStallProbe::MachineStallProbe() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  sched_getaffinity(0, sizeof allowed, &allowed);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    auto probe = std::make_unique<Probe>();
    probe->cpu = cpu;
    probe->late.reserve(1 << 16);
    probe->thread = std::thread([this, p = probe.get()] { run(*p); });
    probes_.push_back(std::move(probe));
  }
}

MachineStallProbe::~MachineStallProbe() { stop(); }

void MachineStallProbe::stop() {
  running_ = false;
  for (auto& p : probes_) {
    if (p->thread.joinable()) p->thread.join();
  }
}

bool MachineStallProbe::realtime() const {
  for (const auto& p : probes_) {
    if (!p->realtime) return false;
  }
  return !probes_.empty();
}

void MachineStallProbe::run(Probe& probe) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(probe.cpu, &one);
  sched_param param{};
  param.sched_priority = 99;
  probe.realtime = pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0 &&
                   pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
  int64_t due = monotonicNs() + kTickNs;
  while (running_.load(std::memory_order_relaxed)) {
    const timespec ts{static_cast<time_t>(due / 1'000'000'000), static_cast<long>(due % 1'000'000'000)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    const int64_t now = monotonicNs();
    const double lateMs = static_cast<double>(now - due) * 1e-6;
    if (lateMs > kLateMs && probe.late.size() < probe.late.capacity()) {
      probe.late.emplace_back(static_cast<double>(due), lateMs);
    }
    due = now + kTickNs;
  }
}

std::vector<MachineStallProbe::Stall> MachineStallProbe::stalls(double minLostMs) {
  stop();
  std::vector<Stall> out;
  if (!realtime()) {
    // Then every glitch counts against the receiver, as before the probe.
    std::fprintf(stderr, "machine stall probe: no SCHED_FIFO 99 on every CPU; stalls not measured\n");
    return out;
  }
  for (const auto& p : probes_) {
    const auto mine = joinStalls(p->late, minLostMs, p->cpu);
    out.insert(out.end(), mine.begin(), mine.end());
  }
  std::sort(out.begin(), out.end(), [](const Stall& a, const Stall& b) { return a.startNs < b.startNs; });
  return out;
}

std::vector<MachineStallProbe::Stall> MachineStallProbe::joinStalls(
    const std::vector<std::pair<double, double>>& late, double minLostMs, int cpu) {
  std::vector<Stall> runs;
  for (const auto& [dueNs, lateMs] : late) {
    const double backNs = dueNs + lateMs * 1e6;
    if (!runs.empty() && dueNs - runs.back().endNs <= kJoinMs * 1e6) {
      runs.back().endNs = backNs;
      runs.back().lostMs += lateMs;
    } else {
      runs.push_back({dueNs, backNs, lateMs, cpu});
    }
  }
  std::vector<Stall> out;
  for (const Stall& s : runs) {
    if (s.lostMs >= minLostMs) out.push_back(s);
  }
  return out;
}

GlitchAttribution attributeGlitches(const GlitchReport& glitches,
                                    const std::vector<MachineStallProbe::Stall>& stalls,
                                    const std::function<double(double)>& playedNs) {
  GlitchAttribution out;
  char line[160];
  std::vector<bool> told(stalls.size(), false);
  const double t0 = playedNs(0);
  for (const GlitchEvent& g : glitches.list) {
    const double at = playedNs(g.startSeconds);
    bool explained = false;
    for (size_t i = 0; i < stalls.size(); ++i) {
      const auto& s = stalls[i];
      if (at < s.startNs - 0.1e9 || at > s.endNs + 0.5e9) continue;
      explained = true;
      if (told[i]) continue;
      told[i] = true;
      std::snprintf(line, sizeof line,
                    "machine stall at %.3f s of the recording: CPU %d lost %.0f ms over %.0f ms\n",
                    (s.startNs - t0) * 1e-9, s.cpu, s.lostMs, (s.endNs - s.startNs) * 1e-6);
      out.text += line;
    }
    (explained ? out.duringStalls : out.unexplained).push_back(g);
    std::snprintf(line, sizeof line, "glitch at %.3f s, %.0f ms: %s\n", g.startSeconds,
                  g.durationMs, explained ? "during a machine stall" : "no machine stall near it");
    out.text += line;
  }
  for (const auto& s : stalls) out.windowSeconds += (s.endNs - s.startNs) * 1e-9 + 0.6;
  std::snprintf(line, sizeof line,
                "(%zu machine stalls of >= %.0f ms over the whole run; their windows %.1f s)\n",
                stalls.size(), MachineStallProbe::kStallMs, out.windowSeconds);
  out.text += line;
  return out;
}

bool nearStall(const std::vector<MachineStallProbe::Stall>& stalls, double ns, double afterSec) {
  for (const auto& s : stalls) {
    if (ns >= s.startNs - 0.1e9 && ns <= s.endNs + afterSec * 1e9) return true;
  }
  return false;
}

}  // namespace scream::testing
