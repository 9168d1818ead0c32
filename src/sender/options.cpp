#include "sender/options.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "protocol/channel_map.h"

namespace scream::sender {

namespace {

constexpr const char* kDescription =
    "scream-send: sends PCM audio as Scream UDP datagrams (5-byte header + 1152 PCM bytes),\n"
    "paced in real time by CLOCK_MONOTONIC or by the device clock of a pulse/alsa/jack source.\n"
    "Receivers: scream-recv or upstream Scream.";

constexpr const char* kFooter =
    "Sources:\n"
    "  tone        probe signal: 997 Hz sine at -6 dBFS on channel 0; on channel 1 a 10 ms\n"
    "              3 kHz burst (latency marker) 0.4-1.6 s apart, irregularly (never periodic);\n"
    "              other channels silent. Format from --rate/--bits/--channels/--mask.\n"
    "  stdin       raw interleaved little-endian PCM in the --rate/--bits/--channels/--mask\n"
    "              format, sent at the pace of the clock until end of input.\n"
    "  file:PATH   a WAV file (16/24/32-bit integer PCM, its own format), in real time;\n"
    "              --loop repeats it.\n"
    "  pulse       creates a virtual output device (a null sink named --sink-name) on the running\n"
    "              PulseAudio/PipeWire server in the --rate/--bits/--channels/--mask format and\n"
    "              sends what applications play into it; the sink is removed on exit.\n"
    "  alsa        records the ALSA capture PCM -d in the --rate/--bits/--channels format.\n"
    "  jack        a JACK client (--jack-client) with one input port per channel, named by\n"
    "              speaker position (FL, FR, FC, LFE, ...); the JACK server sets the rate.\n"
    "Exit status: 0 on end of input, --duration or SIGINT/SIGTERM (the partial payload is\n"
    "flushed first); 2 on a bad option or an unusable source or socket setting.";

bool failUsage(ParseResult* result, const std::string& message) {
  std::fprintf(stderr, "scream-send: %s\nRun with --help for usage.\n", message.c_str());
  result->run = false;
  result->exitCode = kExitUsage;
  return false;
}

// "ADDR:PORT", "ADDR" or ":PORT".
bool parseBind(const std::string& text, UdpConfig* udp) {
  const size_t colon = text.rfind(':');
  const std::string address = colon == std::string::npos ? text : text.substr(0, colon);
  if (!address.empty() && !driver::parseIpv4(address.data(), address.size(), &udp->bindAddress)) {
    return false;
  }
  if (colon == std::string::npos) return !address.empty();
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const unsigned long value = std::stoul(port);
  if (value > 65535) return false;
  udp->bindPort = static_cast<uint16_t>(value);
  return true;
}

bool validateSource(Options* options, ParseResult* result) {
  const std::string& s = options->source;
  if (s == "tone" || s == "stdin" || s == "pulse" || s == "alsa" || s == "jack") return true;
  if (s.rfind("file:", 0) == 0) {
    options->filePath = s.substr(5);
    if (options->filePath.empty()) return failUsage(result, "--source file: needs a path");
    return true;
  }
  return failUsage(
      result, "--source " + s + ": unknown source (tone, stdin, file:PATH, pulse, alsa, jack)");
}

}  // namespace

ParseResult parseCommandLine(int argc, char** argv) {
  ParseResult result;
  Options& o = result.options;
  CLI::App app{kDescription, "scream-send"};
  app.footer(kFooter);
  app.get_formatter()->column_width(30);

  std::string dest = "239.255.77.77";
  std::string bind;
  uint32_t rate = 48000, bits = 16, channels = 2;
  int64_t mask = -1;
  int ttl = 0, dscp = -1;
  uint32_t port = 4010;

  app.add_option("--source", o.source, "tone | stdin | file:PATH.wav | pulse | alsa | jack")
      ->required();
  app.add_option("--sink-name", o.sinkName, "Name of the pulse source's virtual sink")
      ->check([](const std::string& name) {
        const bool plain =
            !name.empty() &&
            name.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
                std::string::npos;
        return plain ? std::string() : std::string("letters, digits, '_', '.', '-' only");
      })
      ->capture_default_str();
  app.add_option("-d,--device", o.alsaDevice, "ALSA capture PCM of the alsa source")
      ->capture_default_str();
  app.add_option("--jack-client", o.jackClient, "JACK client name of the jack source")
      ->capture_default_str();
  app.add_flag("--loop", o.loop, "Repeat a file source forever");
  app.add_option("--marker-log", o.markerLog,
                 "Write each tone marker's send time as a JSON line\n"
                 "{\"marker\":N,\"frame\":F,\"send_ns\":CLOCK_MONOTONIC ns}");
  app.add_option("--rate", rate,
                 "Sample rate of tone/stdin/pulse/alsa (multiple of 44100 or 48000)")
      ->capture_default_str();
  app.add_option("--bits", bits, "Bits per sample of tone/stdin/pulse/alsa/jack: 16, 24 or 32")
      ->capture_default_str();
  app.add_option("--channels", channels, "Channels of tone/stdin/pulse/alsa/jack: 1-8")
      ->capture_default_str();
  app.add_option("--mask", mask,
                 "Channel mask (e.g. 0x3F); default: Windows' mask for the channel count")
      ->check(CLI::Range(int64_t{0}, int64_t{0xFFFF}));
  app.add_option("--dest", dest, "Destination IPv4 address, multicast or unicast")
      ->capture_default_str();
  app.add_option("--port", port, "Destination UDP port")
      ->check(CLI::Range(1u, 65535u))
      ->capture_default_str();
  app.add_option("--ttl", ttl, "IP TTL (multicast TTL for a group destination); default: OS")
      ->check(CLI::Range(1, 255));
  app.add_option("--interface", o.udp.interface,
                 "Multicast interface (IP_MULTICAST_IF): name or IPv4 address");
  app.add_option("--dscp", dscp, "DSCP value 0-63, applied with IP_TOS")->check(CLI::Range(0, 63));
  app.add_option("--bind", bind, "Local ADDR:PORT (or ADDR, or :PORT) to send from");
  app.add_option("--silence-threshold", o.silenceThreshold,
                 "Stop sending after this many all-zero frames (0 = off); the first frame\n"
                 "with sound resumes the stream")
      ->capture_default_str();
  app.add_option("--duration", o.durationSeconds, "Stop after this many seconds of audio")
      ->check(CLI::PositiveNumber);
  app.add_option("--clock-ppm", o.clockPpm,
                 "Run the audio clock fast (+) or slow (-) by this many ppm (tests)")
      ->check(CLI::Range(-100000.0, 100000.0));
  app.add_option("--burst-ms", o.burstMs,
                 "Send every N ms in a burst, as the Windows driver's timer does")
      ->check(CLI::Range(1u, 1000u))
      ->capture_default_str();
  app.add_option("--ivshmem", o.ivshmemPath,
                 "Write an IVSHMEM shared-memory ring to this file (e.g. /dev/shm/scream-ivshmem)\n"
                 "instead of sending UDP; read it with scream-recv -m PATH");
  app.add_option("--ivshmem-size", o.ivshmemSizeMiB, "Size of the --ivshmem file in MiB")
      ->check(CLI::Range(1u, 4096u))
      ->capture_default_str();
  app.add_option("--ivshmem-chunk-ms", o.ivshmemChunkMs,
                 "Chunk length in the --ivshmem ring (upstream's driver: 20, ours: 5)")
      ->check(CLI::Range(1u, 100u))
      ->capture_default_str();
  app.add_flag("-v,--verbose", o.verbosity, "More output on stderr (repeatable)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    result.exitCode = 0;
    return result;
  } catch (const CLI::ParseError& e) {
    failUsage(&result, e.what());
    return result;
  }

  if (!validateSource(&o, &result)) return result;
  if (o.loop && o.filePath.empty()) {
    failUsage(&result, "--loop applies to a file:PATH source only");
    return result;
  }
  const bool deviceSource = o.source == "pulse" || o.source == "alsa" || o.source == "jack";
  if (deviceSource && o.clockPpm != 0) {
    failUsage(&result, "--clock-ppm does not apply to --source " + o.source +
                           " (the device's clock paces it)");
    return result;
  }
  if (!o.markerLog.empty() && !o.ivshmemPath.empty()) {
    failUsage(&result, "--marker-log works with UDP only, not with --ivshmem");
    return result;
  }
  if (!o.markerLog.empty() && o.source != "tone") {
    failUsage(&result, "--marker-log needs --source tone (only the tone has markers)");
    return result;
  }
  if (!driver::parseIpv4(dest.data(), dest.size(), &o.udp.destination) ||
      o.udp.destination.isAny()) {
    failUsage(&result, "--dest " + dest + ": not a usable IPv4 address (dotted quad)");
    return result;
  }
  o.udp.port = static_cast<uint16_t>(port);
  o.udp.ttl = ttl == 0 ? -1 : ttl;
  o.udp.dscp = dscp;
  if (!bind.empty() && !parseBind(bind, &o.udp)) {
    failUsage(&result, "--bind " + bind + ": expected ADDR:PORT, ADDR or :PORT");
    return result;
  }
  if (bits > 255 || channels > 255) {
    failUsage(&result, "--bits/--channels out of range");
    return result;
  }
  o.format.sampleRate = rate;
  o.format.bitsPerSample = static_cast<uint8_t>(bits);
  o.format.channels = static_cast<uint8_t>(channels);
  o.format.channelMask =
      mask >= 0 ? static_cast<uint16_t>(mask) : protocol::defaultMaskForChannels(o.format.channels);
  const protocol::FormatError error = protocol::validateFormat(o.format);
  if (error != protocol::FormatError::kOk) {
    failUsage(&result, std::string("--rate/--bits/--channels: ") + protocol::describe(error));
    return result;
  }
  result.run = true;
  return result;
}

}  // namespace scream::sender
