#include "stats_report.h"

#include <fmt/format.h>

namespace scream::receiver {

namespace {

// Short, stable names for the stats line (tests and log readers match them); describe() has the
// long form for the periodic warning.
const char* reasonKey(protocol::PacketError error) {
  using protocol::PacketError;
  switch (error) {
    case PacketError::kOk: return "ok";
    case PacketError::kTooShort: return "too-short";
    case PacketError::kBadRateMarker: return "rate-zero";
    case PacketError::kBadBits: return "bits";
    case PacketError::kNoChannels: return "no-channels";
    case PacketError::kTooManyChannels: return "too-many-channels";
    case PacketError::kEmptyPayload: return "empty";
    case PacketError::kUnsupportedRate: return "rate";
    case PacketError::kPartialFrame: return "partial-frame";
  }
  return "unknown";
}

}  // namespace

StatsSnapshot StatsSnapshot::take(const Stats& stats) {
  StatsSnapshot s;
  s.packets = stats.packets.load();
  s.otherSource = stats.otherSourcePackets.load();
  s.underruns = stats.underruns.load();
  s.concealedFrames = stats.concealedFrames.load();
  s.overflowFrames = stats.ringOverflowFrames.load();
  s.backlogFlushes = stats.backlogFlushes.load();
  s.backlogLatencyMs = stats.backlogLatencyMs.load();
  s.backlogTargetMs = stats.backlogTargetMs.load();
  s.lostDatagrams = stats.lostDatagrams.load();
  s.duplicates = stats.duplicatesDropped.load();
  s.insertedFrames = stats.insertedFrames.load();
  s.cutFrames = stats.cutFrames.load();
  for (size_t i = 0; i < protocol::kPacketErrorCount; ++i) s.malformed[i] = stats.malformed[i].load();
  return s;
}

std::string formatStatsLine(const std::string& source, const EngineStatus& e, const StatsSnapshot& s,
                            bool engineUsed) {
  uint64_t malformed = 0;
  std::string reasons;
  for (size_t i = 1; i < protocol::kPacketErrorCount; ++i) {
    malformed += s.malformed[i];
    if (s.malformed[i] == 0) continue;
    reasons += fmt::format("{}{} {}", reasons.empty() ? " (" : ", ",
                           reasonKey(static_cast<protocol::PacketError>(i)), s.malformed[i]);
  }
  if (!reasons.empty()) reasons += ")";
  std::string line = fmt::format("source {} | packets {} | malformed {}{} | other sources {}",
                                 source.empty() ? "none" : source, s.packets, malformed, reasons,
                                 s.otherSource);
  if (!engineUsed) return line;
  if (!e.hasStream) return line + " | no stream yet";
  const double concealedMs =
      e.format.sampleRate ? 1000.0 * static_cast<double>(s.concealedFrames) / e.format.sampleRate : 0;
  line += fmt::format(
      " | {} Hz {} bit {} ch | target {:.1f} ms (bridges {:.1f} ms late) latency {:.1f} ms{} | drift {:+.1f} ppm{}"
      " ratio {:.6f} | underruns {} concealed {:.0f} ms",
      e.format.sampleRate, e.format.bitsPerSample, e.format.channels, e.targetMs, e.bridgedLateMs, e.latencyMs,
      e.silent ? " (silent)" : "", e.senderPpm, e.locked ? "" : " (locking)", e.speed, s.underruns,
      concealedMs);
  if (s.lostDatagrams + s.duplicates > 0) {
    line += fmt::format(" | lost {} duplicated {} datagrams", s.lostDatagrams, s.duplicates);
  }
  if (s.insertedFrames + s.cutFrames > 0 && e.format.sampleRate) {
    line += fmt::format(" | periods repeated {:.0f} ms cut {:.0f} ms",
                        1000.0 * static_cast<double>(s.insertedFrames) / e.format.sampleRate,
                        1000.0 * static_cast<double>(s.cutFrames) / e.format.sampleRate);
  }
  if (s.backlogFlushes > 0) {
    line += fmt::format(" | backlog dropped {}x (last at latency {:.0f} ms, target {:.0f} ms)", s.backlogFlushes,
                        s.backlogLatencyMs, s.backlogTargetMs);
  }
  if (s.overflowFrames > 0) line += fmt::format(" | overflow {} frames", s.overflowFrames);
  return line;
}

std::string formatMalformed(const StatsSnapshot& before, const StatsSnapshot& now, double seconds) {
  std::string text;
  for (size_t i = 1; i < protocol::kPacketErrorCount; ++i) {
    const uint64_t grew = now.malformed[i] - before.malformed[i];
    if (grew == 0) continue;
    if (!text.empty()) text += "; ";
    text += fmt::format("{} ({})", grew, protocol::describe(static_cast<protocol::PacketError>(i)));
  }
  if (text.empty()) return text;
  return fmt::format("ignored malformed datagrams in the last {:.0f} s: {}", seconds, text);
}

}  // namespace scream::receiver
