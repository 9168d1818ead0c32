#include "sender/wav_file.h"

#include <array>
#include <cstring>

#include "protocol/channel_map.h"

namespace scream::sender {

namespace {

constexpr uint16_t kFormatPcm = 1;
constexpr uint16_t kFormatFloat = 3;
constexpr uint16_t kFormatExtensible = 0xFFFE;

uint16_t le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

bool readExact(std::FILE* file, void* out, size_t bytes) {
  return std::fread(out, 1, bytes, file) == bytes;
}

bool parseFmt(const uint8_t* fmt, uint32_t size, protocol::Format* format, std::string* error) {
  if (size < 16) {
    *error = "fmt chunk too short";
    return false;
  }
  uint16_t tag = le16(fmt);
  const uint16_t channels = le16(fmt + 2);
  const uint32_t rate = le32(fmt + 4);
  const uint16_t blockAlign = le16(fmt + 12);
  const uint16_t bits = le16(fmt + 14);
  uint32_t mask = 0;
  if (tag == kFormatExtensible) {
    if (size < 40) {
      *error = "WAVE_FORMAT_EXTENSIBLE fmt chunk too short";
      return false;
    }
    mask = le32(fmt + 20);
    tag = le16(fmt + 24);  // first two bytes of the subformat GUID are the format tag
  }
  if (tag == kFormatFloat) {
    *error = "floating-point WAV is not supported (the protocol carries 16/24/32-bit integer PCM)";
    return false;
  }
  if (tag != kFormatPcm) {
    *error = "unsupported WAV encoding " + std::to_string(tag) + " (need integer PCM)";
    return false;
  }
  if (channels == 0 || channels > protocol::kMaxChannels) {
    *error = std::to_string(channels) + " channels (the protocol carries 1-8)";
    return false;
  }
  if (bits != 16 && bits != 24 && bits != 32) {
    *error = std::to_string(bits) + "-bit samples are not supported (need 16, 24 or 32)";
    return false;
  }
  format->sampleRate = rate;
  format->bitsPerSample = static_cast<uint8_t>(bits);
  format->channels = static_cast<uint8_t>(channels);
  format->channelMask =
      mask != 0 ? static_cast<uint16_t>(mask) : protocol::defaultMaskForChannels(format->channels);
  const protocol::FormatError formatError = protocol::validateFormat(*format);
  if (formatError != protocol::FormatError::kOk) {
    *error = std::string(protocol::describe(formatError)) + " (" + std::to_string(rate) + " Hz, " +
             std::to_string(bits) + " bit, " + std::to_string(channels) + " channels)";
    return false;
  }
  if (blockAlign != format->bytesPerFrame()) {
    *error = "block align " + std::to_string(blockAlign) + " does not match " +
             std::to_string(channels) + " x " + std::to_string(bits) + " bit";
    return false;
  }
  return true;
}

}  // namespace

bool readWavHeader(std::FILE* file, WavInfo* info, std::string* error) {
  uint8_t riff[12];
  if (!readExact(file, riff, sizeof riff) || std::memcmp(riff, "RIFF", 4) != 0 ||
      std::memcmp(riff + 8, "WAVE", 4) != 0) {
    *error = "not a RIFF/WAVE file";
    return false;
  }
  bool haveFormat = false;
  uint64_t offset = sizeof riff;
  while (true) {
    uint8_t chunk[8];
    if (!readExact(file, chunk, sizeof chunk)) {
      *error = haveFormat ? "no data chunk" : "no fmt chunk";
      return false;
    }
    offset += sizeof chunk;
    const uint32_t size = le32(chunk + 4);
    if (std::memcmp(chunk, "fmt ", 4) == 0) {
      std::array<uint8_t, 64> fmt{};
      const uint32_t keep = size < fmt.size() ? size : static_cast<uint32_t>(fmt.size());
      if (!readExact(file, fmt.data(), keep)) {
        *error = "truncated fmt chunk";
        return false;
      }
      if (!parseFmt(fmt.data(), size, &info->format, error)) return false;
      haveFormat = true;
      const uint64_t skip = size - keep + (size & 1);
      if (skip > 0 && std::fseek(file, static_cast<long>(skip), SEEK_CUR) != 0) {
        *error = "truncated fmt chunk";
        return false;
      }
      offset += size + (size & 1);
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      if (!haveFormat) {
        *error = "data chunk before the fmt chunk";
        return false;
      }
      // A streamed WAV may say 0 or 0xFFFFFFFF; either way play what the file holds.
      if (std::fseek(file, 0, SEEK_END) != 0) {
        *error = "file is not seekable";
        return false;
      }
      const uint64_t available = static_cast<uint64_t>(std::ftell(file)) - offset;
      uint64_t bytes = size == 0 || size == 0xFFFFFFFFu || size > available ? available : size;
      bytes -= bytes % info->format.bytesPerFrame();
      info->dataOffset = offset;
      info->dataBytes = bytes;
      std::fseek(file, static_cast<long>(offset), SEEK_SET);
      return true;
    } else {
      const uint64_t skip = uint64_t{size} + (size & 1);
      if (std::fseek(file, static_cast<long>(skip), SEEK_CUR) != 0) {
        *error = "truncated chunk";
        return false;
      }
      offset += skip;
    }
  }
}

std::unique_ptr<WavFileSource> WavFileSource::open(const std::string& path, bool loop,
                                                   std::string* error) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    *error = path + ": " + std::strerror(errno);
    return nullptr;
  }
  WavInfo info;
  if (!readWavHeader(file, &info, error)) {
    std::fclose(file);
    *error = path + ": " + *error;
    return nullptr;
  }
  return std::unique_ptr<WavFileSource>(new WavFileSource(file, info, path, loop));
}

WavFileSource::WavFileSource(std::FILE* file, const WavInfo& info, std::string path, bool loop)
    : file_(file), info_(info), path_(std::move(path)), loop_(loop), remaining_(info.dataBytes) {}

WavFileSource::~WavFileSource() {
  std::fclose(file_);
}

std::string WavFileSource::describe() const {
  return "file:" + path_ + (loop_ ? " (loop)" : "");
}

size_t WavFileSource::read(uint8_t* out, size_t frames) {
  const uint32_t bpf = info_.format.bytesPerFrame();
  size_t done = 0;
  while (done < frames) {
    if (remaining_ == 0) {
      // An empty data chunk cannot loop: that would spin forever producing nothing.
      if (!loop_ || info_.dataBytes == 0) break;
      std::fseek(file_, static_cast<long>(info_.dataOffset), SEEK_SET);
      remaining_ = info_.dataBytes;
    }
    uint64_t want = uint64_t{frames - done} * bpf;
    if (want > remaining_) want = remaining_;
    const size_t got = std::fread(out + done * bpf, 1, want, file_);
    done += got / bpf;
    remaining_ -= got;
    if (got < want) {
      // The file shrank under us: its end is here (a partial last frame is dropped). Without
      // this, a loop over a file that became empty would spin forever.
      remaining_ = 0;
      if (got < bpf) break;
    }
  }
  return done;
}

}  // namespace scream::sender
