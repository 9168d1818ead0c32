#include "receivers/core/network_interface.h"

#include <gtest/gtest.h>
#include <net/if.h>

namespace scream::receiver {
namespace {

TEST(NetworkInterface, NameResolvesToIndexAndAddress) {
  std::string error;
  const auto lo = resolveInterface("lo", &error);
  ASSERT_TRUE(lo.has_value()) << error;
  EXPECT_EQ(lo->name, "lo");
  EXPECT_EQ(lo->index, if_nametoindex("lo"));
  EXPECT_EQ(lo->ipv4, 0x7F000001u);
}

TEST(NetworkInterface, LocalAddressResolvesToItsInterface) {
  std::string error;
  const auto lo = resolveInterface("127.0.0.1", &error);
  ASSERT_TRUE(lo.has_value()) << error;
  EXPECT_EQ(lo->name, "lo");
  EXPECT_EQ(lo->index, if_nametoindex("lo"));
  EXPECT_EQ(lo->ipv4, 0x7F000001u);
}

TEST(NetworkInterface, UnknownNameIsReported) {
  std::string error;
  EXPECT_FALSE(resolveInterface("nosuch9", &error).has_value());
  EXPECT_EQ(error, "interface 'nosuch9' does not exist");
  EXPECT_FALSE(resolveInterface("a-name-longer-than-ifnamsiz", &error).has_value());
  EXPECT_EQ(error, "interface 'a-name-longer-than-ifnamsiz' does not exist");
  EXPECT_FALSE(resolveInterface("", &error).has_value());
  EXPECT_EQ(error, "empty interface name");
}

TEST(NetworkInterface, AddressThatIsNotLocalIsReported) {
  std::string error;
  // 192.0.2.0/24 is TEST-NET-1: documentation only, never assigned to a real host.
  EXPECT_FALSE(resolveInterface("192.0.2.1", &error).has_value());
  EXPECT_EQ(error, "no local interface has the address 192.0.2.1");
}

}  // namespace
}  // namespace scream::receiver
