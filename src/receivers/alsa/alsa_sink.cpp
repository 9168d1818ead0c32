#include "alsa_sink.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "protocol/channel_map.h"
#include "receivers/core/thread_priority.h"
#include "receivers/core/monotonic_clock.h"

namespace scream::receiver {

namespace {

// The plug layer may route and pick a format the device takes, but must not resample, remix
// or convert behind the engine's back: the engine resamples (drift-corrected) and remaps.
constexpr int kOpenMode =
    SND_PCM_NO_AUTO_RESAMPLE | SND_PCM_NO_AUTO_CHANNELS | SND_PCM_NO_AUTO_FORMAT;
constexpr int kWaitTimeoutMs = 100;  // wake up this often to notice stop()

std::string openError(const std::string& device, int error) {
  if (error == -ENOENT || error == -ENODEV || error == -ENXIO) {
    return "ALSA: no playback device '" + device + "' (" + snd_strerror(error) +
           "); `aplay -L` lists them";
  }
  if (error == -EBUSY) {
    return "ALSA: device '" + device + "' is busy (another program is playing on it)";
  }
  return "ALSA: cannot open '" + device + "': " + snd_strerror(error);
}

void check(int result, const std::string& device, const char* what) {
  if (result < 0) {
    throw std::runtime_error("ALSA: device '" + device + "' refuses " + what + ": " +
                             snd_strerror(result));
  }
}

// alsa-lib prints its own errors to stderr ("ALSA lib pcm.c:...: Unknown PCM x"); the sink
// says what happened in its own words, so alsa-lib's detail goes to the debug log.
void logAlsaLibError(const char* file, int line, const char* function, int, const char* fmt, ...) {
  char text[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(text, sizeof text, fmt, args);
  va_end(args);
  spdlog::debug("alsa-lib {}:{} ({}): {}", file, line, function, text);
}

}  // namespace

AlsaSink::AlsaSink(AlsaSinkConfig config) : config_(std::move(config)) {
  static std::once_flag installed;
  std::call_once(installed, [] { snd_lib_error_set_handler(&logAlsaLibError); });
}

AlsaSink::~AlsaSink() {
  stop();
}

std::string AlsaSink::describe() const {
  return "alsa:" + config_.device;
}

bool alsaPlaybackDeviceOpens(const std::string& device) {
  snd_pcm_t* pcm = nullptr;
  if (snd_pcm_open(&pcm, device.c_str(), SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK) < 0) return false;
  snd_pcm_close(pcm);
  return true;
}

SinkFormat AlsaSink::start(const SinkFormat& wanted, AudioSource& source) {
  if (running_) throw std::logic_error("alsa sink already started");
  wanted_ = wanted;
  source_ = &source;
  periods_ = std::max(
      2, static_cast<int>(std::lround(deviceBufferMs(config_.targetLatencyMs) / config_.periodMs)));
  open(wanted, true);  // throws: the engine says why and calls start() again later
  running_ = true;
  thread_ = std::thread([this] { play(); });
  return format_;
}

void AlsaSink::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
  close();
  if (const uint64_t n = xruns_.exchange(0))
    spdlog::info("ALSA: {} underruns on {}", n, config_.device);
}

// ------------------------------------------------------------------ device setup

void AlsaSink::open(const SinkFormat& wanted, bool firstOpen) {
  const std::string& dev = config_.device;
  int err = snd_pcm_open(&pcm_, dev.c_str(), SND_PCM_STREAM_PLAYBACK, kOpenMode);
  if (err < 0) {
    pcm_ = nullptr;
    throw std::runtime_error(openError(dev, err));
  }
  try {
    snd_pcm_hw_params_t* hw;
    snd_pcm_hw_params_alloca(&hw);
    check(snd_pcm_hw_params_any(pcm_, hw), dev, "any configuration");
    check(snd_pcm_hw_params_set_rate_resample(pcm_, hw, 0), dev, "to play without resampling");
    check(snd_pcm_hw_params_set_access(pcm_, hw, SND_PCM_ACCESS_RW_INTERLEAVED), dev,
          "interleaved writes");
    bool formatSet = false;
    for (const AlsaSampleFormat& f : sampleFormatPreference(wanted.bitsPerSample)) {
      if (snd_pcm_hw_params_test_format(pcm_, hw, f.alsa) == 0 &&
          snd_pcm_hw_params_set_format(pcm_, hw, f.alsa) == 0) {
        sampleFormat_ = f;
        formatSet = true;
        break;
      }
    }
    if (!formatSet) {
      throw std::runtime_error("ALSA: device '" + dev +
                               "' takes none of S32_LE, S24_3LE, S16_LE, FLOAT_LE");
    }
    unsigned channels = wanted.channels;
    check(snd_pcm_hw_params_set_channels_near(pcm_, hw, &channels), dev, "the channel count");
    unsigned rate = wanted.sampleRate;
    check(snd_pcm_hw_params_set_rate_near(pcm_, hw, &rate, nullptr), dev, "the rate");
    snd_pcm_uframes_t period = std::max<snd_pcm_uframes_t>(
        16, static_cast<snd_pcm_uframes_t>(rate * config_.periodMs / 1000.0));
    check(snd_pcm_hw_params_set_period_size_near(pcm_, hw, &period, nullptr), dev,
          "the period size");
    snd_pcm_uframes_t buffer = period * static_cast<snd_pcm_uframes_t>(periods_);
    check(snd_pcm_hw_params_set_buffer_size_near(pcm_, hw, &buffer), dev, "the buffer size");
    check(snd_pcm_hw_params(pcm_, hw), dev, "the configuration");
    snd_pcm_hw_params_get_period_size(hw, &periodFrames_, nullptr);
    snd_pcm_hw_params_get_buffer_size(hw, &bufferFrames_);
    if (!firstOpen && (rate != format_.sampleRate || channels != format_.channels)) {
      throw std::runtime_error("ALSA: device '" + dev + "' came back with another format");
    }

    // Start on the first period; fill what has played with silence, so that a late write never
    // lets the device replay an old buffer; stamp status with CLOCK_MONOTONIC like the engine.
    snd_pcm_sw_params_t* sw;
    snd_pcm_sw_params_alloca(&sw);
    check(snd_pcm_sw_params_current(pcm_, sw), dev, "software parameters");
    snd_pcm_uframes_t boundary = 0;
    snd_pcm_sw_params_get_boundary(sw, &boundary);
    check(snd_pcm_sw_params_set_start_threshold(pcm_, sw, periodFrames_), dev, "start threshold");
    check(snd_pcm_sw_params_set_avail_min(pcm_, sw, periodFrames_), dev, "avail_min");
    check(snd_pcm_sw_params_set_silence_threshold(pcm_, sw, 0), dev, "silence threshold");
    check(snd_pcm_sw_params_set_silence_size(pcm_, sw, boundary), dev, "silence size");
    snd_pcm_sw_params_set_tstamp_mode(pcm_, sw, SND_PCM_TSTAMP_ENABLE);
    snd_pcm_sw_params_set_tstamp_type(pcm_, sw, SND_PCM_TSTAMP_TYPE_MONOTONIC);
    check(snd_pcm_sw_params(pcm_, sw), dev, "software parameters");

    format_.sampleRate = rate;
    format_.channels = static_cast<uint8_t>(channels);
    format_.channelMask = channels == wanted.channels
                              ? wanted.channelMask
                              : protocol::defaultMaskForChannels(format_.channels);

    // Speaker positions: tell the device where each channel goes; where it cannot be told,
    // reorder to the order it reports, or ALSA's conventional one.
    const std::vector<unsigned> positions =
        alsaPositionsForMask(format_.channelMask, format_.channels);
    std::vector<unsigned> mapBuffer(positions.size() + 1);
    auto* map = reinterpret_cast<snd_pcm_chmap_t*>(mapBuffer.data());
    map->channels = static_cast<unsigned>(positions.size());
    std::copy(positions.begin(), positions.end(), map->pos);
    permutation_.clear();
    if (snd_pcm_set_chmap(pcm_, map) != 0) {
      std::vector<unsigned> device;
      const char* origin = "ALSA's default order";
      if (snd_pcm_chmap_t* current = snd_pcm_get_chmap(pcm_)) {
        if (current->channels == positions.size()) {
          device.assign(current->pos, current->pos + current->channels);
          origin = "the order it reports";
        }
        std::free(current);
      }
      if (device.empty()) device = alsaDefaultOrder(positions);
      permutation_ = channelPermutation(positions, device);
      if (isIdentity(permutation_)) {
        permutation_.clear();
      } else if (!reorderReported_) {
        reorderReported_ = true;
        spdlog::info("ALSA: device '{}' cannot take a channel map; reordering {} to {} ({})", dev,
                     positionNames(positions), positionNames(device), origin);
      }
    }
  } catch (...) {
    close();
    throw;
  }
  if (status_ == nullptr) snd_pcm_status_malloc(&status_);
  const size_t samples = periodFrames_ * format_.channels;
  rendered_.assign(samples, 0.0f);
  ordered_.assign(samples, 0.0f);
  converted_.assign(std::max(periodFrames_, bufferFrames_) * format_.channels *
                        bytesPerSample(sampleFormat_.convert),
                    0);
  const double msPerFrame = 1000.0 / format_.sampleRate;
  spdlog::info("ALSA: playing on '{}' ({} Hz, {} channels, {}; period {:.1f} ms, buffer {:.1f} ms)",
               config_.device, format_.sampleRate, format_.channels,
               snd_pcm_format_name(sampleFormat_.alsa), periodFrames_ * msPerFrame,
               bufferFrames_ * msPerFrame);
}

void AlsaSink::close() {
  if (pcm_ != nullptr) {
    snd_pcm_drop(pcm_);
    snd_pcm_close(pcm_);
    pcm_ = nullptr;
  }
  if (status_ != nullptr) {
    snd_pcm_status_free(status_);
    status_ = nullptr;
  }
}

// ------------------------------------------------------------------ audio thread

void AlsaSink::play() {
  pthread_setname_np(pthread_self(), "alsa-out");
  std::string why;
  if (!raiseThreadPriority(kAudioThreadPriority, &why)) {
    spdlog::info(
        "ALSA: no real-time priority for the audio thread ({}); a busy machine may "
        "cause dropouts",
        why);
  }
  while (running_) {
    prefill();
    int error = 0;
    while (running_ && error == 0) {
      const int ready = snd_pcm_wait(pcm_, kWaitTimeoutMs);
      if (ready < 0) {
        error = ready;
        break;
      }
      const snd_pcm_sframes_t avail = snd_pcm_avail_update(pcm_);
      if (avail < 0) {
        error = static_cast<int>(avail);
        break;
      }
      if (ready == 0 || avail < static_cast<snd_pcm_sframes_t>(periodFrames_)) continue;
      PlaybackTiming timing;
      timing.nowNs = monotonicNs();
      timing.deviceDelayFrames = delayFrames(timing.nowNs);
      timing.channels = format_.channels;
      source_->render(rendered_.data(), periodFrames_, timing);
      const float* frames = rendered_.data();
      if (!permutation_.empty()) {
        const size_t channels = format_.channels;
        for (size_t f = 0; f < periodFrames_; ++f) {
          for (size_t slot = 0; slot < channels; ++slot) {
            ordered_[f * channels + slot] = rendered_[f * channels + permutation_[slot]];
          }
        }
        frames = ordered_.data();
      }
      floatToPcm(frames, periodFrames_ * format_.channels, sampleFormat_.convert,
                 converted_.data());
      error = writeAll(converted_.data(), periodFrames_);
    }
    if (!running_) break;
    if (recover(error)) continue;
    if (!reopenWithBackoff(periods_)) break;
  }
}

// Not real time any more: the device already missed audio. Returns false when the handle is
// gone (unplugged) or is to be replaced by a larger buffer.
bool AlsaSink::recover(int error) {
  if (error == -EPIPE) {
    xruns_.fetch_add(1, std::memory_order_relaxed);
    if (periods_ < config_.maxPeriods) {
      ++periods_;
      spdlog::info("ALSA: underrun on '{}'; raising the device buffer to {:.0f} ms", config_.device,
                   periods_ * config_.periodMs);
      return false;
    }
    return snd_pcm_prepare(pcm_) == 0;
  }
  if (error == -ESTRPIPE) {
    spdlog::info("ALSA: device '{}' was suspended; resuming", config_.device);
    int result;
    while ((result = snd_pcm_resume(pcm_)) == -EAGAIN && running_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return result == 0 || snd_pcm_prepare(pcm_) == 0;
  }
  spdlog::warn("ALSA: lost device '{}' ({}); reopening", config_.device, snd_strerror(error));
  return false;
}

bool AlsaSink::reopenWithBackoff(int periods) {
  close();
  periods_ = periods;
  int backoffMs = 0;  // an xrun reopens at once; a lost device waits
  std::string reported;
  while (running_) {
    try {
      open(wanted_, false);
      return true;
    } catch (const std::exception& e) {
      if (reported != e.what()) {
        spdlog::error("{}; retrying", e.what());
        reported = e.what();
      }
    }
    backoffMs = std::clamp(backoffMs * 2, config_.minBackoffMs, config_.maxBackoffMs);
    for (int waited = 0; waited < backoffMs && running_; waited += 50) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return false;
}

// Silence up to one period short of a full buffer: the device starts at once and the first
// rendered period lands behind a cushion instead of on an empty buffer.
void AlsaSink::prefill() noexcept {
  const snd_pcm_uframes_t frames =
      bufferFrames_ > periodFrames_ ? bufferFrames_ - periodFrames_ : 0;
  std::fill(converted_.begin(), converted_.end(), uint8_t{0});  // zero is silence in every format
  writeAll(converted_.data(), frames);
}

int AlsaSink::writeAll(const uint8_t* data, snd_pcm_uframes_t frames) noexcept {
  const size_t frameBytes = format_.channels * bytesPerSample(sampleFormat_.convert);
  while (frames > 0) {
    const snd_pcm_sframes_t written = snd_pcm_writei(pcm_, data, frames);
    if (written == -EAGAIN || written == -EINTR) continue;
    if (written < 0) return static_cast<int>(written);
    frames -= static_cast<snd_pcm_uframes_t>(written);
    data += static_cast<size_t>(written) * frameBytes;
  }
  return 0;
}

// Frames queued ahead of the next frame written, as of `nowNs`: the status's delay moved on by
// the time since its timestamp (a card's hardware pointer moves in period steps).
double AlsaSink::delayFrames(int64_t nowNs) noexcept {
  if (snd_pcm_status(pcm_, status_) < 0) return 0;
  double delay = static_cast<double>(snd_pcm_status_get_delay(status_));
  snd_htimestamp_t stamp;
  snd_pcm_status_get_htstamp(status_, &stamp);
  const int64_t stampNs = int64_t{stamp.tv_sec} * 1'000'000'000 + stamp.tv_nsec;
  const int64_t age = nowNs - stampNs;
  if (stampNs > 0 && age > 0 && age < 100'000'000) {
    delay -= static_cast<double>(age) * format_.sampleRate * 1e-9;
  }
  return std::max(0.0, delay);
}

}  // namespace scream::receiver
