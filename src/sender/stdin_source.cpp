#include "sender/stdin_source.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace scream::sender {

StdinSource::StdinSource(const protocol::Format& format, int fd) : format_(format), fd_(fd) {}

size_t StdinSource::read(uint8_t* out, size_t frames) {
  const size_t bpf = format_.bytesPerFrame();
  const size_t want = frames * bpf;
  size_t have = carried_;
  std::memcpy(out, carry_, carried_);
  carried_ = 0;
  while (have < want && !ended_) {
    const ssize_t got = ::read(fd_, out + have, want - have);
    if (got > 0) {
      have += static_cast<size_t>(got);
    } else if (got == 0) {
      ended_ = true;
    } else if (errno == EINTR) {
      break;  // a signal: hand back what we have; the caller checks why
    } else {
      ended_ = true;  // a read error ends the input like EOF
    }
  }
  // Keep a partial frame for the next call; at the end it is dropped (it can never complete).
  const size_t whole = have - have % bpf;
  if (!ended_) {
    carried_ = have - whole;
    std::memcpy(carry_, out + whole, carried_);
  }
  return whole / bpf;
}

}  // namespace scream::sender
