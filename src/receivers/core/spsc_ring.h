// Lock-free single-producer/single-consumer ring: the jitter buffer between the network thread
// (producer: converted float samples) and the audio thread (consumer: the resampler's input).
// Also used for small hand-overs between the two threads (retired streams).
//
// Indices are free-running counters (never wrapped, the difference is the fill level); the
// capacity is a power of two so a mask turns a counter into a slot. Each side owns one counter
// and only reads the other with acquire, publishing its own with release, so the data copied
// before a release-store is visible to the other side after its acquire-load. The two counters
// live on separate cache lines so the threads do not fight over one line. Only the constructor
// allocates; every other method is wait-free and real-time safe.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <type_traits>

namespace scream::receiver {

template <class T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>, "the ring copies elements as plain memory");

 public:
  explicit SpscRing(size_t minCapacity)
      : capacity_(roundUpToPowerOfTwo(minCapacity)),
        mask_(capacity_ - 1),
        slots_(std::make_unique<T[]>(capacity_)) {}

  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  size_t capacity() const { return capacity_; }

  // Producer. Writes as many of `count` elements as fit; returns how many.
  size_t write(const T* data, size_t count) noexcept {
    const size_t head = head_.load(std::memory_order_relaxed);  // only this thread writes it
    const size_t tail = tail_.load(std::memory_order_acquire);
    const size_t n = std::min(count, capacity_ - (head - tail));
    copyIn(head, data, n);
    head_.store(head + n, std::memory_order_release);
    return n;
  }

  // Consumer. Reads up to `count` of the oldest elements; returns how many.
  size_t read(T* out, size_t count) noexcept {
    const size_t tail = tail_.load(std::memory_order_relaxed);  // only this thread writes it
    const size_t head = head_.load(std::memory_order_acquire);
    const size_t n = std::min(count, head - tail);
    copyOut(tail, out, n);
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }

  // Consumer. Copies up to `count` elements from `offset` past the oldest without taking them
  // (the playout looks ahead for a splice point); returns how many.
  size_t peek(T* out, size_t count, size_t offset = 0) const noexcept {
    const size_t tail = tail_.load(std::memory_order_relaxed);
    const size_t head = head_.load(std::memory_order_acquire);
    const size_t available = head - tail;
    if (offset >= available) return 0;
    const size_t n = std::min(count, available - offset);
    copyOut(tail + offset, out, n);
    return n;
  }

  // Consumer. Drops up to `count` of the oldest elements; returns how many.
  size_t discard(size_t count) noexcept {
    const size_t tail = tail_.load(std::memory_order_relaxed);
    const size_t head = head_.load(std::memory_order_acquire);
    const size_t n = std::min(count, head - tail);
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }

  // Either side. Exact for the calling side's own next operation; the other side can only make
  // it grow (more to read for the consumer, more room for the producer) in the meantime.
  size_t readAvailable() const noexcept {
    const size_t tail = tail_.load(std::memory_order_acquire);
    const size_t head = head_.load(std::memory_order_acquire);
    return head - tail;
  }
  size_t writeAvailable() const noexcept { return capacity_ - readAvailable(); }

 private:
  // 64 bytes: x86-64 and most ARM cores. std::hardware_destructive_interference_size would say
  // the same but g++ warns that its value may differ between compilations (-Winterference-size).
  static constexpr size_t kCacheLine = 64;

  static size_t roundUpToPowerOfTwo(size_t n) {
    size_t c = 1;
    while (c < n) c <<= 1;
    return c;
  }

  void copyIn(size_t at, const T* data, size_t n) noexcept {
    const size_t slot = at & mask_;
    const size_t first = std::min(n, capacity_ - slot);
    std::copy_n(data, first, slots_.get() + slot);
    if (n > first) std::copy_n(data + first, n - first, slots_.get());  // (wrapped; and says so to GCC)
  }

  void copyOut(size_t at, T* out, size_t n) const noexcept {
    const size_t slot = at & mask_;
    const size_t first = std::min(n, capacity_ - slot);
    std::copy_n(slots_.get() + slot, first, out);
    if (n > first) std::copy_n(slots_.get(), n - first, out + first);
  }

  const size_t capacity_;
  const size_t mask_;
  const std::unique_ptr<T[]> slots_;
  alignas(kCacheLine) std::atomic<size_t> head_{0};  // next slot to write; producer owns it
  // The alignment also rounds the object's size up, so nothing else shares the consumer's line.
  alignas(kCacheLine) std::atomic<size_t> tail_{0};  // next slot to read; consumer owns it
};

}  // namespace scream::receiver
