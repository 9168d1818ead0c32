#include "known_path.h"

#include "support/test_sender.h"

namespace scream::bench {

namespace {
const protocol::Format kFormat{48000, 16, 2, 0x3};
}

KnownPathPlayer::KnownPathPlayer(std::string sink) : sink_(std::move(sink)), tone_(kFormat) {}

void KnownPathPlayer::onWrite(pa_stream* stream, size_t bytes, void* self) {
  auto* p = static_cast<KnownPathPlayer*>(self);
  const size_t frames = bytes / kFormat.bytesPerFrame();
  p->chunk_.resize(frames * kFormat.bytesPerFrame());
  p->tone_.read(p->chunk_.data(), frames);
  const int64_t now = testing::monotonicNs();
  for (uint64_t m = p->tone_.nextMarker(p->written_); m < p->written_ + frames;
       m = p->tone_.nextMarker(m + 1))
    p->markerWriteNs_.push_back(now);
  pa_stream_write(stream, p->chunk_.data(), p->chunk_.size(), nullptr, 0, PA_SEEK_RELATIVE);
  p->written_ += frames;
}

bool KnownPathPlayer::start(std::string* error) {
  return client_.open("scream known path", [&](pa_context* context) {
    const pa_sample_spec spec{PA_SAMPLE_S16LE, kFormat.sampleRate, static_cast<uint8_t>(kFormat.channels)};
    pa_stream* stream = pa_stream_new(context, "known path", &spec, nullptr);
    pa_stream_set_write_callback(stream, &KnownPathPlayer::onWrite, this);
    pa_buffer_attr attr{};
    attr.maxlength = attr.prebuf = static_cast<uint32_t>(-1);
    attr.tlength = static_cast<uint32_t>(pa_usec_to_bytes(kBufferMs * 1000, &spec));
    attr.minreq = static_cast<uint32_t>(pa_usec_to_bytes(5000, &spec));  // small: writes stay even
    pa_stream_connect_playback(stream, sink_.c_str(), &attr, PA_STREAM_NOFLAGS, nullptr, nullptr);
    return stream;
  }, error);
}

}  // namespace scream::bench
