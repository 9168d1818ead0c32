// Reading the PCM of a RIFF/WAVE file: WAVE_FORMAT_PCM or WAVE_FORMAT_EXTENSIBLE with a PCM
// subformat, 16, 24 or 32 bit integer, any rate and channel count the protocol carries. Float
// files are refused (the wire carries integer PCM only).
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "sender/source.h"

namespace scream::sender {

struct WavInfo {
  protocol::Format format;
  uint64_t dataOffset = 0;  // file offset of the first PCM byte
  uint64_t dataBytes = 0;   // whole frames only
};

// Parses the header of an open file. On failure returns false and says why in *error.
bool readWavHeader(std::FILE* file, WavInfo* info, std::string* error);

// `file:PATH.wav`, optionally looping forever.
class WavFileSource : public Source {
 public:
  // Opens and checks the file; nullptr with *error set when it cannot be played.
  static std::unique_ptr<WavFileSource> open(const std::string& path, bool loop,
                                             std::string* error);
  ~WavFileSource() override;

  const protocol::Format& format() const override { return info_.format; }
  size_t read(uint8_t* out, size_t frames) override;
  std::string describe() const override;

 private:
  WavFileSource(std::FILE* file, const WavInfo& info, std::string path, bool loop);

  std::FILE* file_;
  WavInfo info_;
  std::string path_;
  bool loop_;
  uint64_t remaining_;  // data bytes left in this pass
};

}  // namespace scream::sender
