#include "sender/alsa_source.h"

#include <alsa/asoundlib.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace scream::sender {

namespace {

snd_pcm_format_t sampleFormat(uint8_t bits) {
  switch (bits) {
    case 16: return SND_PCM_FORMAT_S16_LE;
    case 24: return SND_PCM_FORMAT_S24_3LE;  // packed, as the wire carries it
    default: return SND_PCM_FORMAT_S32_LE;
  }
}

// Capture latency is one period; the buffer only has to ride out the sender's scheduling stalls.
constexpr unsigned kBufferUs = 200'000;

}  // namespace

std::unique_ptr<AlsaSource> AlsaSource::open(const protocol::Format& format,
                                             const std::string& device, uint32_t burstMs,
                                             const std::atomic<bool>& stop, std::string* error) {
  std::unique_ptr<AlsaSource> source(new AlsaSource(format, device, stop));
  int rc = snd_pcm_open(&source->pcm_, device.c_str(), SND_PCM_STREAM_CAPTURE, 0);
  if (rc < 0) {
    source->pcm_ = nullptr;
    *error = "cannot open ALSA capture device " + device + ": " + snd_strerror(rc);
    return nullptr;
  }
  snd_pcm_hw_params_t* hw;
  snd_pcm_hw_params_alloca(&hw);
  unsigned rate = format.sampleRate;
  unsigned periodUs = burstMs * 1000;
  unsigned bufferUs = std::max(kBufferUs, 4 * periodUs);
  const char* step = "";
  auto failed = [&](int code, const char* what) {
    step = what;
    return code < 0;
  };
  if (failed(snd_pcm_hw_params_any(source->pcm_, hw), "no configurations") ||
      failed(snd_pcm_hw_params_set_access(source->pcm_, hw, SND_PCM_ACCESS_RW_INTERLEAVED),
             "interleaved access") ||
      failed(snd_pcm_hw_params_set_format(source->pcm_, hw, sampleFormat(format.bitsPerSample)),
             "sample format") ||
      failed(snd_pcm_hw_params_set_channels(source->pcm_, hw, format.channels), "channel count") ||
      failed(snd_pcm_hw_params_set_rate(source->pcm_, hw, rate, 0), "sample rate") ||
      failed(snd_pcm_hw_params_set_period_time_near(source->pcm_, hw, &periodUs, nullptr),
             "period time") ||
      failed(snd_pcm_hw_params_set_buffer_time_near(source->pcm_, hw, &bufferUs, nullptr),
             "buffer time") ||
      failed(snd_pcm_hw_params(source->pcm_, hw), "hardware parameters") ||
      failed(snd_pcm_start(source->pcm_), "start")) {
    *error = "ALSA capture device " + device + " does not take " +
             std::to_string(format.bitsPerSample) + " bit " + std::to_string(format.channels) +
             " ch " + std::to_string(format.sampleRate) + " Hz (" + step + ")";
    return nullptr;
  }
  spdlog::debug("alsa {}: period {} us, buffer {} us", device, periodUs, bufferUs);
  return source;
}

AlsaSource::~AlsaSource() {
  if (pcm_ != nullptr) snd_pcm_close(pcm_);
  if (overruns_ > 0) spdlog::warn("alsa {}: {} overruns (audio lost)", device_, overruns_);
}

size_t AlsaSource::read(uint8_t* out, size_t frames) {
  size_t got = 0;
  while (got < frames && !stop_.load()) {
    const snd_pcm_sframes_t n =
        snd_pcm_readi(pcm_, out + got * format_.bytesPerFrame(), frames - got);
    if (n >= 0) {
      got += static_cast<size_t>(n);
      continue;
    }
    if (n == -EINTR || n == -EAGAIN) continue;  // a signal: the loop condition sees stop
    if (n == -EPIPE) ++overruns_;
    if (snd_pcm_recover(pcm_, static_cast<int>(n), 1) < 0) {  // the next read restarts it
      if (n != -EPIPE)
        spdlog::error("alsa {}: {}", device_, snd_strerror(static_cast<int>(n)));
      else
        spdlog::error("alsa {}: cannot recover from an overrun", device_);
      break;
    }
  }
  return got;
}

}  // namespace scream::sender
