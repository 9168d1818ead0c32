#include "sender/device_sources.h"

#include "sender/alsa_source.h"
#include "sender/jack_source.h"
#include "sender/pulse_source.h"

namespace scream::sender {

std::unique_ptr<Source> openDeviceSource(const Options& options, const std::atomic<bool>& stop,
                                         std::string* error) {
  if (options.source == "pulse") {
    return PulseSource::open(options.format, options.sinkName, options.burstMs, error);
  }
  if (options.source == "alsa") {
    return AlsaSource::open(options.format, options.alsaDevice, options.burstMs, stop, error);
  }
  return JackSource::open(options.format, options.jackClient, stop, error);
}

}  // namespace scream::sender
