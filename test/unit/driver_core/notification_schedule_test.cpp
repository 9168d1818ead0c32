#include "driver/core/notification_schedule.h"

#include <gtest/gtest.h>

namespace scream::driver {
namespace {

TEST(NotificationSchedule, CountsEachBoundaryOnce) {
  NotificationSchedule schedule;
  schedule.configure(1000, 2);  // boundaries every 500 bytes
  EXPECT_EQ(schedule.intervalBytes(), 500u);
  EXPECT_EQ(schedule.advance(499), 0u);
  EXPECT_EQ(schedule.advance(500), 1u) << "reaching a boundary crosses it";
  EXPECT_EQ(schedule.advance(500), 0u);
  EXPECT_EQ(schedule.advance(999), 0u);
  EXPECT_EQ(schedule.advance(1001), 1u) << "the buffer end is a boundary too";
  EXPECT_EQ(schedule.advance(2600), 3u) << "a late tick sees all it missed";
  EXPECT_EQ(schedule.advance(2000), 0u) << "a position that went back crosses nothing";
  EXPECT_EQ(schedule.advance(3000), 1u);
}

TEST(NotificationSchedule, OffWithoutNotificationsOrWithATinyBuffer) {
  NotificationSchedule schedule;
  schedule.configure(1000, 0);
  EXPECT_EQ(schedule.advance(1'000'000), 0u);
  schedule.configure(3, 4);
  EXPECT_EQ(schedule.advance(1'000'000), 0u);
}

TEST(NotificationSchedule, StartsFromTheGivenPosition) {
  NotificationSchedule schedule;
  schedule.configure(960, 4, 230);  // interval 240
  EXPECT_EQ(schedule.advance(239), 0u);
  EXPECT_EQ(schedule.advance(240), 1u);
}

TEST(NotificationSchedule, TotalOverALongRunIsExact) {
  NotificationSchedule schedule;
  schedule.configure(19200, 2);
  uint64_t total = 0;
  uint64_t position = 0;
  for (int i = 0; i < 100000; ++i) {
    position += 1 + (i * 7919) % 2000;
    total += schedule.advance(position);
  }
  EXPECT_EQ(total, position / 9600);
}

}  // namespace
}  // namespace scream::driver
