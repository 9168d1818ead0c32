// A single-producer single-consumer queue of variable-length records in caller-supplied memory.
// The Windows driver's IVSHMEM output uses it to move a stream's PCM (and its start and stop)
// from the timer DPC, which must not touch the device mapping, to a work item, which writes it
// into the mapping (driver/windows/ivshmem_output.h says why).
//
// Each record is an 8-byte header (payload length, type) and the payload, padded to 8 bytes, and
// is contiguous in memory: a record that would straddle the end is preceded by a skip record
// filling the rest. push() is all or nothing and never waits; drain() hands every complete record
// to the visitor in push order. Producer and consumer may run at the same time on two
// processors: the producer publishes with a release store of its position after the record is
// written, the consumer frees space with a release store after it has visited a record.
//
// Freestanding (compiled into the Windows kernel driver): no heap, no exceptions, GCC atomic
// builtins on 64-bit positions (never wrap in practice).
#pragma once

#include <stdint.h>
#include <string.h>

namespace scream::driver {

class SpscRecordRing {
 public:
  static constexpr uint32_t kHeaderBytes = 8;

  // `capacity`: a power of two, at least 64; the memory stays valid until detach or another
  // attach(), and neither side may be running meanwhile. Empties the queue.
  void attach(uint8_t* memory, uint32_t capacity) {
    memory_ = memory;
    capacity_ = capacity;
    __atomic_store_n(&head_, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&tail_, 0, __ATOMIC_RELAXED);
  }

  // Producer. False (nothing queued) when the record does not fit now with `reserve` bytes to
  // spare (room kept for records that must not be refused), or never could (larger than half
  // the ring). `type` 0 is reserved (skip records).
  bool push(uint32_t type, const uint8_t* data, uint32_t bytes, uint32_t reserve = 0) {
    if (memory_ == nullptr || type == kSkip) return false;
    const uint64_t size = kHeaderBytes + padded(bytes);
    if (size > capacity_ / 2) return false;
    const uint64_t tail = __atomic_load_n(&tail_, __ATOMIC_RELAXED);
    const uint64_t head = __atomic_load_n(&head_, __ATOMIC_ACQUIRE);
    const uint32_t at = static_cast<uint32_t>(tail % capacity_);
    const uint32_t toEnd = capacity_ - at;
    const uint64_t need = toEnd < size ? toEnd + size : size;
    if (capacity_ - (tail - head) < need + reserve) return false;
    uint64_t position = tail;
    if (toEnd < size) {
      writeHeader(at, toEnd - kHeaderBytes, kSkip);
      position += toEnd;
    }
    const uint32_t start = static_cast<uint32_t>(position % capacity_);
    writeHeader(start, bytes, type);
    if (bytes > 0) memcpy(memory_ + start + kHeaderBytes, data, bytes);
    __atomic_store_n(&tail_, position + size, __ATOMIC_RELEASE);
    return true;
  }

  // Consumer: visit(type, data, bytes) for every record pushed before the call; returns how many.
  template <class Visit>
  uint32_t drain(Visit&& visit) {
    if (memory_ == nullptr) return 0;
    uint64_t head = __atomic_load_n(&head_, __ATOMIC_RELAXED);
    const uint64_t tail = __atomic_load_n(&tail_, __ATOMIC_ACQUIRE);
    uint32_t visited = 0;
    while (head != tail) {
      const uint32_t at = static_cast<uint32_t>(head % capacity_);
      uint32_t header[2];
      memcpy(header, memory_ + at, sizeof(header));
      if (header[1] != kSkip) {
        visit(header[1], static_cast<const uint8_t*>(memory_ + at + kHeaderBytes), header[0]);
        ++visited;
      }
      head += kHeaderBytes + padded(header[0]);
      __atomic_store_n(&head_, head, __ATOMIC_RELEASE);
    }
    return visited;
  }

  bool empty() const {
    return __atomic_load_n(&head_, __ATOMIC_ACQUIRE) == __atomic_load_n(&tail_, __ATOMIC_ACQUIRE);
  }
  uint32_t capacity() const { return capacity_; }

 private:
  static constexpr uint32_t kSkip = 0;

  static constexpr uint64_t padded(uint32_t bytes) { return (uint64_t{bytes} + 7) & ~uint64_t{7}; }

  void writeHeader(uint32_t at, uint32_t bytes, uint32_t type) {
    const uint32_t header[2] = {bytes, type};
    memcpy(memory_ + at, header, sizeof(header));
  }

  uint8_t* memory_ = nullptr;
  uint32_t capacity_ = 0;
  uint64_t head_ = 0;  // consumer position (bytes ever consumed)
  uint64_t tail_ = 0;  // producer position (bytes ever pushed)
};

}  // namespace scream::driver
