#include "receivers/core/device_buffer_policy.h"

#include <gtest/gtest.h>

namespace scream::receiver {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000 * kMs;

DeviceBufferPolicy::Config config() {
  DeviceBufferPolicy::Config c;
  c.initialPeriods = 6;
  c.maxPeriods = 9;
  return c;
}

TEST(DeviceBufferPolicy, RunningEmptyAlwaysRaisesNearMissesOncePerCooldown) {
  DeviceBufferPolicy p(config());
  EXPECT_TRUE(p.onTrouble(1 * kSec, false));  // the first near miss
  EXPECT_EQ(p.periods(), 7);
  // The same late wake-up's next requests: no more.
  EXPECT_FALSE(p.onTrouble(1 * kSec + 5 * kMs, false));
  EXPECT_FALSE(p.onTrouble(1 * kSec + 400 * kMs, false));
  EXPECT_TRUE(p.onTrouble(1 * kSec + 410 * kMs, true));  // ran empty after all
  EXPECT_EQ(p.periods(), 8);
  EXPECT_TRUE(p.onTrouble(2 * kSec, false));  // past the cooldown
  EXPECT_EQ(p.periods(), 9);
  EXPECT_FALSE(p.onTrouble(3 * kSec, true));  // at its largest
  EXPECT_EQ(p.periods(), 9);
}

TEST(DeviceBufferPolicy, AQuietMinuteLowersOnePeriodDownToTheStart) {
  DeviceBufferPolicy p(config());
  ASSERT_TRUE(p.onTrouble(10 * kSec, true));
  ASSERT_TRUE(p.onTrouble(11 * kSec, true));
  EXPECT_EQ(p.periods(), 8);
  EXPECT_FALSE(p.onQuietCheck(70 * kSec));  // 59 s after the last trouble
  EXPECT_TRUE(p.onQuietCheck(71 * kSec));
  EXPECT_EQ(p.periods(), 7);
  EXPECT_FALSE(p.onQuietCheck(100 * kSec));  // a lowering starts the next quiet minute
  // Trouble in between: the minute starts again, and the buffer grows back.
  EXPECT_TRUE(p.onTrouble(120 * kSec, false));
  EXPECT_EQ(p.periods(), 8);
  EXPECT_FALSE(p.onQuietCheck(179 * kSec));
  EXPECT_TRUE(p.onQuietCheck(180 * kSec));
  EXPECT_TRUE(p.onQuietCheck(240 * kSec));
  EXPECT_EQ(p.periods(), 6);
  EXPECT_FALSE(p.onQuietCheck(400 * kSec));  // never below where it started
  EXPECT_EQ(p.periods(), 6);
}

TEST(DeviceBufferPolicy, NearMissesThatDoNotRaiseStillKeepItFromLowering) {
  DeviceBufferPolicy p(config());
  ASSERT_TRUE(p.onTrouble(0, true));
  for (int64_t t = 30; t <= 300; t += 30) {
    p.onTrouble(t * kSec, false);  // every 30 s: raised up to the largest, then only noted
    EXPECT_FALSE(p.onQuietCheck(t * kSec + 29 * kSec));
  }
  EXPECT_EQ(p.periods(), 9);
}

TEST(DeviceBufferPolicy, TimeWithoutAStreamIsNotQuiet) {
  DeviceBufferPolicy p(config());
  ASSERT_TRUE(p.onTrouble(0, true));
  p.restartQuiet(100 * kSec);  // reconnected after an outage
  EXPECT_FALSE(p.onQuietCheck(105 * kSec));
  EXPECT_TRUE(p.onQuietCheck(160 * kSec));
}

TEST(DeviceBufferPolicy, StartIsClampedIntoRange) {
  DeviceBufferPolicy::Config c = config();
  c.initialPeriods = 20;
  EXPECT_EQ(DeviceBufferPolicy(c).periods(), 9);
  c.initialPeriods = 0;
  EXPECT_EQ(DeviceBufferPolicy(c).periods(), 1);
}

}  // namespace
}  // namespace scream::receiver
