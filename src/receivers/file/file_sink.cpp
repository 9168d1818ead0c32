#include "file_sink.h"

#include <spdlog/spdlog.h>
#include <time.h>

#include <cstdio>
#include <stdexcept>
#include <vector>

#include "receivers/core/thread_priority.h"
#include "receivers/core/monotonic_clock.h"

namespace scream::receiver {

namespace {

void sleepUntil(int64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

}  // namespace

FileSink::FileSink(std::string path, double periodMs) : path_(std::move(path)), periodMs_(periodMs) {}

FileSink::~FileSink() { stop(); }

SinkFormat FileSink::start(const SinkFormat& wanted, AudioSource& source) {
  if (running_) throw std::logic_error("file sink already started");
  writer_ = std::make_unique<WavWriter>(path_, wanted.sampleRate, wanted.channels, wanted.channelMask);
  running_ = true;
  thread_ = std::thread([this, &source, wanted] { run(source, wanted); });
  return wanted;  // a file takes any format
}

void FileSink::run(AudioSource& source, SinkFormat format) {
  std::string why;
  if (!raiseThreadPriority(kAudioThreadPriority, &why)) {
    spdlog::debug("file sink: no real-time priority ({}); running at normal priority", why);
  }
  const size_t period = static_cast<size_t>(format.sampleRate * periodMs_ / 1000.0);
  std::vector<float> block(period * format.channels);
  const int64_t start = monotonicNs();
  // Block k is rendered at start + k * period and plays one period later: that is the device
  // delay the engine sees, and the time frame 0 plays.
  const int64_t firstPlayNs = start + static_cast<int64_t>(period * 1e9 / format.sampleRate);
  if (std::FILE* timing = std::fopen((path_ + ".timing.json").c_str(), "w")) {
    std::fprintf(timing, "{\"start_ns\": %lld, \"rate\": %u, \"channels\": %u}\n",
                 static_cast<long long>(firstPlayNs), format.sampleRate, format.channels);
    std::fclose(timing);
  }
  uint64_t blocks = 0;
  while (running_.load(std::memory_order_relaxed)) {
    // Absolute deadlines from frame counts: no drift from sleep overshoot.
    const int64_t deadline =
        start + static_cast<int64_t>(static_cast<double>(blocks * period) * 1e9 / format.sampleRate);
    sleepUntil(deadline);
    PlaybackTiming timing;
    timing.nowNs = deadline;
    timing.deviceDelayFrames = static_cast<double>(period);
    timing.channels = format.channels;
    source.render(block.data(), period, timing);
    if (!writer_->write(block.data(), period)) {
      spdlog::error("{}", writer_->error());
      break;
    }
    ++blocks;
  }
}

void FileSink::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
  if (writer_) {
    writer_->close();
    spdlog::info("wrote {} frames to {}", writer_->framesWritten(), path_);
    writer_.reset();
  }
}

}  // namespace scream::receiver
