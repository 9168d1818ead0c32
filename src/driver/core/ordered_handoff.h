// Hands items from the real-time path to a slow consumer in order, without anyone waiting for
// the consumer. The Windows driver stages each finished datagram under its stream spin lock
// (push), and sends after releasing it (drain): a call into WSK must not run under the lock,
// because Wine (and a busy Windows) runs overlapping timer callbacks, which would all spin
// behind a slow send.
//
// push() appends under the queue's own short lock. drain() takes a token: the caller that gets
// it hands every queued item to `send`, in push order, then puts the token back and looks again
// (an item pushed between its last look and putting the token back would otherwise wait for the
// next drain()). A caller that finds the token taken returns at once; its items go out with the
// holder's. So `send` is never called by two contexts at a time, the order of send() equals the
// order of push(), and no caller waits for another's send.
//
// `Lock` provides lock()/unlock() (the driver: a KSPIN_LOCK; the host tests: a mutex).
// Freestanding (compiled into the Windows kernel driver): no heap, no exceptions; the token is a
// GCC/Clang atomic builtin on a 32-bit word.
#pragma once

#include <stdint.h>

namespace scream::driver {

template <class Item, uint32_t Capacity, class Lock>
class OrderedHandoff {
  static_assert(Capacity > 0 && (Capacity & (Capacity - 1)) == 0,
                "a power of two, so the indices stay right when the counters wrap");

 public:
  // Any context. False (nothing queued) when Capacity items are waiting.
  bool push(const Item& item) {
    lock_.lock();
    const bool room = tail_ - head_ < Capacity;
    if (room) {
      items_[tail_ % Capacity] = item;
      ++tail_;
    }
    lock_.unlock();
    return room;
  }

  // Any context, not under a lock `send` may need. Returns the items this call sent.
  template <class Send>
  uint32_t drain(Send&& send) {
    uint32_t sent = 0;
    for (;;) {
      uint32_t expected = 0;
      if (!__atomic_compare_exchange_n(&token_, &expected, 1u, false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED)) {
        return sent;  // the holder sends ours too
      }
      Item item{};
      while (pop(&item)) {
        send(item);
        ++sent;
      }
      __atomic_store_n(&token_, 0u, __ATOMIC_RELEASE);
      if (empty()) return sent;
    }
  }

  bool empty() {
    lock_.lock();
    const bool result = head_ == tail_;
    lock_.unlock();
    return result;
  }

  Lock& lock() { return lock_; }

 private:
  bool pop(Item* item) {
    lock_.lock();
    const bool any = head_ != tail_;
    if (any) {
      *item = items_[head_ % Capacity];
      ++head_;
    }
    lock_.unlock();
    return any;
  }

  Lock lock_{};
  Item items_[Capacity] = {};
  uint32_t head_ = 0;  // next to send
  uint32_t tail_ = 0;  // next free
  uint32_t token_ = 0;
};

}  // namespace scream::driver
