#include "driver/core/ordered_handoff.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace scream::driver {
namespace {

struct MutexLock {
  std::mutex mutex;
  void lock() { mutex.lock(); }
  void unlock() { mutex.unlock(); }
};

TEST(OrderedHandoff, SendsInPushOrderAndRefusesWhenFull) {
  OrderedHandoff<int, 4, MutexLock> handoff;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(handoff.push(i));
  EXPECT_FALSE(handoff.push(4)) << "four waiting: full";
  std::vector<int> sent;
  EXPECT_EQ(handoff.drain([&](int item) { sent.push_back(item); }), 4u);
  EXPECT_EQ(sent, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(handoff.empty());
  EXPECT_TRUE(handoff.push(5));
  handoff.drain([&](int item) { sent.push_back(item); });
  EXPECT_EQ(sent.back(), 5);
}

TEST(OrderedHandoff, CountersWrapWithoutLosingOrder) {
  OrderedHandoff<uint32_t, 8, MutexLock> handoff;
  std::vector<uint32_t> sent;
  for (uint32_t i = 0; i < 100000; ++i) {
    ASSERT_TRUE(handoff.push(i));
    if (i % 7 == 6) handoff.drain([&](uint32_t item) { sent.push_back(item); });
  }
  handoff.drain([&](uint32_t item) { sent.push_back(item); });
  ASSERT_EQ(sent.size(), 100000u);
  for (uint32_t i = 0; i < sent.size(); ++i) ASSERT_EQ(sent[i], i);
}

TEST(OrderedHandoff, DrainCalledFromSendOnlyQueuesForTheHolder) {
  OrderedHandoff<int, 16, MutexLock> handoff;
  std::vector<int> sent;
  handoff.push(0);
  handoff.drain([&](int item) {
    sent.push_back(item);
    if (item < 5) {
      handoff.push(item + 1);
      EXPECT_EQ(handoff.drain([&](int) { ADD_FAILURE() << "two senders at once"; }), 0u);
    }
  });
  EXPECT_EQ(sent, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

// A lock whose unlock() can run a hook once, right after releasing: it lets a test act in the
// window between the holder's last look at the queue and the token going back.
struct HookedLock {
  std::mutex mutex;
  std::function<void()> hook;
  void lock() { mutex.lock(); }
  void unlock() {
    mutex.unlock();
    if (hook) {
      auto run = std::move(hook);
      hook = nullptr;
      run();
    }
  }
};

TEST(OrderedHandoff, AnItemPushedWhileTheHolderFinishesIsNotLeftBehind) {
  OrderedHandoff<int, 8, HookedLock> handoff;
  std::vector<int> sent;
  handoff.push(1);
  uint32_t secondDrain = 99;
  handoff.drain([&](int item) {
    sent.push_back(item);
    if (item == 1) {
      // The holder's next look finds the queue empty; just then another context pushes and
      // drains, finds the token taken and leaves.
      handoff.lock().hook = [&] {
        handoff.push(2);
        secondDrain = handoff.drain([&](int) { ADD_FAILURE() << "two senders at once"; });
      };
    }
  });
  EXPECT_EQ(secondDrain, 0u);
  EXPECT_EQ(sent, (std::vector<int>{1, 2})) << "the holder must look again after the token";
  EXPECT_TRUE(handoff.empty());
}

// The driver's situation: timer callbacks on several threads each stage their datagrams under
// the stream lock (which fixes the order) and drain after releasing it. Whatever the
// interleaving, every datagram is sent once, in stream order, by one sender at a time, and
// nothing is left behind once every callback has returned.
TEST(OrderedHandoff, ConcurrentStagersAndDrainersKeepStreamOrder) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 20000;
  OrderedHandoff<int, 64, MutexLock> handoff;
  std::mutex streamLock;
  int next = 0;
  std::vector<int> sent;
  std::atomic<int> senders{0};
  std::atomic<bool> overlapped{false};
  std::atomic<int> refused{0};
  auto send = [&](int item) {
    if (senders.fetch_add(1) != 0) overlapped = true;
    sent.push_back(item);
    senders.fetch_sub(1);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < kRounds; ++round) {
        {
          std::lock_guard<std::mutex> guard(streamLock);
          for (int k = 0; k < 2; ++k) {
            if (handoff.push(next)) {
              ++next;
            } else {
              ++refused;  // full: the driver drops and counts; the order of the rest holds
            }
          }
        }
        handoff.drain(send);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_FALSE(overlapped) << "send ran in two threads at once";
  EXPECT_TRUE(handoff.empty()) << "an item was left behind";
  ASSERT_EQ(static_cast<int>(sent.size()), next);
  for (int i = 0; i < next; ++i) ASSERT_EQ(sent[i], i) << "out of order";
  EXPECT_EQ(next + refused.load(), kThreads * kRounds * 2);
}

}  // namespace
}  // namespace scream::driver
