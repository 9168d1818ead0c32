// Fuzz target: the IVSHMEM reader on a shared region whose contents the writer (a guest, or
// anything that can write the file) fully controls. The input's first byte picks how many polls
// run and how writeIdx moves between them; the rest is the region: header, chunks, and its size
// (shorter than a header included). Whatever the bytes, the reader must stay inside the region
// (ASan), hand out only whole chunks of a valid format from its own copy, and never claim more
// chunks than the writer could have published.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "receivers/core/ivshmem_reader.h"

using namespace scream;
using namespace scream::receiver;

namespace {

void check(bool condition) {
  if (!condition) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  const size_t bytes = size - 1;
  // Mappings are page aligned; the reader relies on the header's natural alignment.
  std::vector<uint64_t> storage(bytes / 8 + 1);
  uint8_t* region = reinterpret_cast<uint8_t*>(storage.data());
  memcpy(region, data + 1, bytes);

  IvshmemLayout layout;
  if (bytes >= sizeof(protocol::IvshmemHeader)) {
    protocol::IvshmemHeader header;
    memcpy(&header, region, sizeof header);
    if (checkIvshmemHeader(header, bytes, &layout) == IvshmemHeaderError::kOk) {
      check(layout.offset + size_t{layout.maxChunks} * layout.chunkBytes <= bytes);
      check(layout.chunkBytes % layout.format.bytesPerFrame() == 0);
    }
  }

  IvshmemReader reader([] { return int64_t{0}; });  // time stands still: runs are repeatable
  reader.attach(region, bytes);
  const int polls = 2 + (control & 7);
  for (int i = 0; i < polls; ++i) {
    const int got = reader.poll([&](const protocol::Packet& p) {
      const IvshmemLayout& l = reader.layout();
      check(reader.state() == IvshmemReader::State::kStreaming);
      check(protocol::validateFormat(p.format) == protocol::FormatError::kOk);
      check(p.pcmBytes == l.chunkBytes && p.pcmBytes % p.format.bytesPerFrame() == 0);
      check(p.pcm < region || p.pcm >= region + bytes);  // a copy, not the shared memory
    });
    check(got >= 0);
    if (reader.state() == IvshmemReader::State::kStreaming) {
      check(got < reader.layout().maxChunks);
    }
    // The writer moves on: writeIdx advances by an amount the input chose (possibly out of range).
    if (bytes >= sizeof(protocol::IvshmemHeader)) {
      uint16_t idx;
      memcpy(&idx, region + 4, sizeof idx);
      idx = static_cast<uint16_t>(idx + 1 + ((control >> 3) * (i + 1)));
      memcpy(region + 4, &idx, sizeof idx);
    }
  }
  return 0;
}
