#include "known_path.h"

#include <pulse/context.h>
#include <pulse/error.h>

#include "support/test_sender.h"

namespace scream::bench {

namespace {
const protocol::Format kFormat{48000, 16, 2, 0x3};
}

KnownPathPlayer::KnownPathPlayer(std::string sink) : sink_(std::move(sink)), tone_(kFormat) {}

KnownPathPlayer::~KnownPathPlayer() { stop(); }

void KnownPathPlayer::onState(pa_context*, void* self) {
  pa_threaded_mainloop_signal(static_cast<KnownPathPlayer*>(self)->loop_, 0);
}

void KnownPathPlayer::onStreamState(pa_stream*, void* self) {
  pa_threaded_mainloop_signal(static_cast<KnownPathPlayer*>(self)->loop_, 0);
}

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
  loop_ = pa_threaded_mainloop_new();
  pa_threaded_mainloop_start(loop_);
  pa_threaded_mainloop_lock(loop_);
  context_ = pa_context_new(pa_threaded_mainloop_get_api(loop_), "scream known path");
  pa_context_set_state_callback(context_, &KnownPathPlayer::onState, this);
  pa_context_connect(context_, nullptr, PA_CONTEXT_NOAUTOSPAWN, nullptr);
  while (PA_CONTEXT_IS_GOOD(pa_context_get_state(context_)) &&
         pa_context_get_state(context_) != PA_CONTEXT_READY)
    pa_threaded_mainloop_wait(loop_);
  bool ok = pa_context_get_state(context_) == PA_CONTEXT_READY;
  if (ok) {
    const pa_sample_spec spec{PA_SAMPLE_S16LE, kFormat.sampleRate, static_cast<uint8_t>(kFormat.channels)};
    stream_ = pa_stream_new(context_, "known path", &spec, nullptr);
    pa_stream_set_state_callback(stream_, &KnownPathPlayer::onStreamState, this);
    pa_stream_set_write_callback(stream_, &KnownPathPlayer::onWrite, this);
    pa_buffer_attr attr{};
    attr.maxlength = attr.prebuf = static_cast<uint32_t>(-1);
    attr.tlength = static_cast<uint32_t>(pa_usec_to_bytes(kBufferMs * 1000, &spec));
    attr.minreq = static_cast<uint32_t>(pa_usec_to_bytes(5000, &spec));  // small: writes stay even
    pa_stream_connect_playback(stream_, sink_.c_str(), &attr, PA_STREAM_NOFLAGS, nullptr, nullptr);
    while (PA_STREAM_IS_GOOD(pa_stream_get_state(stream_)) &&
           pa_stream_get_state(stream_) != PA_STREAM_READY)
      pa_threaded_mainloop_wait(loop_);
    ok = pa_stream_get_state(stream_) == PA_STREAM_READY;
  }
  if (!ok) *error = pa_strerror(pa_context_errno(context_));
  pa_threaded_mainloop_unlock(loop_);
  return ok;
}

void KnownPathPlayer::stop() {
  if (loop_ == nullptr) return;
  pa_threaded_mainloop_lock(loop_);
  if (stream_) {
    pa_stream_set_write_callback(stream_, nullptr, nullptr);
    pa_stream_disconnect(stream_);
    pa_stream_unref(stream_);
    stream_ = nullptr;
  }
  pa_context_disconnect(context_);
  pa_context_unref(context_);
  context_ = nullptr;
  pa_threaded_mainloop_unlock(loop_);
  pa_threaded_mainloop_stop(loop_);
  pa_threaded_mainloop_free(loop_);
  loop_ = nullptr;
}

}  // namespace scream::bench
