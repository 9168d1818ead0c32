// Writes the PE image checksum (IMAGE_OPTIONAL_HEADER.CheckSum) that GNU ld leaves at zero.
// Windows refuses to load a boot or system driver whose checksum is wrong, so the build fixes it
// after linking. Algorithm (as ImageHlp's CheckSumMappedFile computes it): the one's-complement
// style 16-bit sum of the file with the checksum field taken as zero, folded to 16 bits, plus the
// file length. test/driver verifies the result with an independent implementation.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

namespace {

constexpr size_t kPeOffsetField = 0x3C;
constexpr size_t kChecksumInOptionalHeader = 64;  // same place for PE32 and PE32+

uint32_t readLe32(const std::vector<uint8_t>& bytes, size_t at) {
  return uint32_t{bytes[at]} | uint32_t{bytes[at + 1]} << 8 | uint32_t{bytes[at + 2]} << 16 |
         uint32_t{bytes[at + 3]} << 24;
}

uint32_t peChecksum(const std::vector<uint8_t>& bytes, size_t checksumAt) {
  uint64_t sum = 0;
  for (size_t i = 0; i < bytes.size(); i += 2) {
    if (i >= checksumAt && i < checksumAt + 4) continue;
    uint32_t word = bytes[i];
    if (i + 1 < bytes.size()) word |= uint32_t{bytes[i + 1]} << 8;
    sum += word;
    sum = (sum & 0xFFFF) + (sum >> 16);
  }
  sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint32_t>(sum) + static_cast<uint32_t>(bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s IMAGE\n", argv[0]);
    return 2;
  }
  std::vector<uint8_t> bytes;
  {
    std::ifstream in(argv[1], std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (bytes.size() < kPeOffsetField + 4) {
    std::fprintf(stderr, "%s: not a PE image\n", argv[1]);
    return 1;
  }
  const size_t peAt = readLe32(bytes, kPeOffsetField);
  const size_t checksumAt = peAt + 24 + kChecksumInOptionalHeader;
  if (checksumAt + 4 > bytes.size() || readLe32(bytes, peAt) != 0x00004550) {
    std::fprintf(stderr, "%s: not a PE image\n", argv[1]);
    return 1;
  }
  const uint32_t checksum = peChecksum(bytes, checksumAt);
  for (int i = 0; i < 4; ++i) bytes[checksumAt + i] = static_cast<uint8_t>(checksum >> (8 * i));
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return out ? 0 : 1;
}
