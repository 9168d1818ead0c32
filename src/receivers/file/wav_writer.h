// Writes a 32-bit float WAV (WAVE_FORMAT_EXTENSIBLE, so any channel count carries its speaker
// mask). The RIFF and data sizes are patched on close(), so a file is valid after a clean exit;
// close() is also called from the destructor.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace scream::receiver {

class WavWriter {
 public:
  // Throws std::runtime_error naming the path when the file cannot be created.
  WavWriter(const std::string& path, uint32_t sampleRate, uint8_t channels, uint16_t channelMask);
  ~WavWriter();
  WavWriter(const WavWriter&) = delete;
  WavWriter& operator=(const WavWriter&) = delete;

  // Returns false after a write error (disk full...); the error is kept in error().
  bool write(const float* samples, size_t frames);
  void close();
  uint64_t framesWritten() const { return frames_; }
  const std::string& error() const { return error_; }

 private:
  void writeHeader(uint64_t dataBytes);

  std::FILE* file_ = nullptr;
  std::string path_;
  uint32_t sampleRate_;
  uint8_t channels_;
  uint16_t channelMask_;
  uint64_t frames_ = 0;
  std::string error_;
};

}  // namespace scream::receiver
