#include "wav_writer.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace scream::receiver {

namespace {

void put16(uint8_t*& p, uint16_t v) {
  *p++ = static_cast<uint8_t>(v);
  *p++ = static_cast<uint8_t>(v >> 8);
}
void put32(uint8_t*& p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v));
  put16(p, static_cast<uint16_t>(v >> 16));
}
void putTag(uint8_t*& p, const char* tag) {
  std::memcpy(p, tag, 4);
  p += 4;
}

constexpr size_t kHeaderBytes = 68;  // RIFF(12) + fmt extensible(8 + 40) + data(8)
// KSDATAFORMAT_SUBTYPE_IEEE_FLOAT {00000003-0000-0010-8000-00aa00389b71}
constexpr uint8_t kFloatSubtype[16] = {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                       0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

}  // namespace

WavWriter::WavWriter(const std::string& path, uint32_t sampleRate, uint8_t channels,
                     uint16_t channelMask)
    : path_(path), sampleRate_(sampleRate), channels_(channels), channelMask_(channelMask) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) {
    throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  }
  writeHeader(0);
}

WavWriter::~WavWriter() { close(); }

void WavWriter::writeHeader(uint64_t dataBytes) {
  // Sizes are 32-bit in RIFF: a file past 4 GiB keeps the largest value that fits.
  const uint32_t data = dataBytes > 0xFFFFFFFFull - kHeaderBytes ? 0xFFFFFFFFu - kHeaderBytes
                                                                  : static_cast<uint32_t>(dataBytes);
  uint8_t h[kHeaderBytes];
  uint8_t* p = h;
  const uint16_t blockAlign = static_cast<uint16_t>(channels_ * 4);
  putTag(p, "RIFF");
  put32(p, static_cast<uint32_t>(kHeaderBytes - 8 + data));
  putTag(p, "WAVE");
  putTag(p, "fmt ");
  put32(p, 40);
  put16(p, 0xFFFE);  // WAVE_FORMAT_EXTENSIBLE
  put16(p, channels_);
  put32(p, sampleRate_);
  put32(p, sampleRate_ * blockAlign);
  put16(p, blockAlign);
  put16(p, 32);  // bits per sample
  put16(p, 22);  // extension size
  put16(p, 32);  // valid bits
  put32(p, channelMask_);
  std::memcpy(p, kFloatSubtype, 16);
  p += 16;
  putTag(p, "data");
  put32(p, data);
  std::fseek(file_, 0, SEEK_SET);
  std::fwrite(h, 1, sizeof h, file_);
  std::fseek(file_, 0, SEEK_END);
}

bool WavWriter::write(const float* samples, size_t frames) {
  if (file_ == nullptr || !error_.empty()) return false;
  // Little-endian host (x86-64, arm64): float samples go out as they are.
  const size_t n = std::fwrite(samples, sizeof(float) * channels_, frames, file_);
  frames_ += n;
  if (n != frames) {
    error_ = "writing " + path_ + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

void WavWriter::close() {
  if (file_ == nullptr) return;
  writeHeader(frames_ * channels_ * 4);
  std::fclose(file_);
  file_ = nullptr;
}

}  // namespace scream::receiver
