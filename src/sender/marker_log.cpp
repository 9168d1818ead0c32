#include "sender/marker_log.h"

#include <cerrno>
#include <cinttypes>
#include <cstring>

namespace scream::sender {

std::unique_ptr<MarkerLog> MarkerLog::open(const std::string& path, std::string* error) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    *error = "--marker-log " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<MarkerLog>(new MarkerLog(file));
}

MarkerLog::~MarkerLog() {
  std::fclose(file_);
}

void MarkerLog::expect(uint64_t frame, uint64_t streamOffset) {
  pending_.push_back(Pending{next_++, frame, streamOffset});
}

void MarkerLog::sent(uint64_t payloadBytesSent, uint64_t sendNs) {
  while (!pending_.empty() && pending_.front().offset < payloadBytesSent) {
    const Pending& m = pending_.front();
    std::fprintf(file_, "{\"marker\":%" PRIu64 ",\"frame\":%" PRIu64 ",\"send_ns\":%" PRIu64 "}\n",
                 m.index, m.frame, sendNs);
    std::fflush(file_);
    ++logged_;
    pending_.pop_front();
  }
}

}  // namespace scream::sender
