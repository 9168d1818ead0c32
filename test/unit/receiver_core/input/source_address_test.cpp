#include "receivers/core/source_address.h"

#include <gtest/gtest.h>

namespace scream::receiver {
namespace {

TEST(SourceAddress, ParsesAddressAndPort) {
  const auto a = SourceAddress::parse("192.168.1.5:4010");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->ipv4, 0xC0A80105u);
  EXPECT_EQ(a->port, 4010);
}

TEST(SourceAddress, BareAddressMeansAnyPort) {
  const auto a = SourceAddress::parse("10.0.0.255");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->ipv4, 0x0A0000FFu);
  EXPECT_EQ(a->port, 0);
}

TEST(SourceAddress, RejectsEverythingElse) {
  for (const char* text : {"", ":4010", "192.168.1.5:", "192.168.1.5:65536", "192.168.1.5:-1",
                           "192.168.1.5:+1", "192.168.1.5:40x", "192.168.1.5:4010:1", "192.168.1",
                           "192.168.1.256", "010.1.1.1", " 192.168.1.5", "192.168.1.5 ",
                           "host.example", "::1", "[::1]:4010", "192.168.1.5:0000004010"}) {
    EXPECT_FALSE(SourceAddress::parse(text).has_value()) << '"' << text << '"';
  }
}

TEST(SourceAddress, ToStringRoundTrips) {
  for (const char* text : {"192.168.1.5:4010", "0.0.0.0:1", "255.255.255.255:65535", "127.0.0.1"}) {
    const auto a = SourceAddress::parse(text);
    ASSERT_TRUE(a.has_value()) << text;
    EXPECT_EQ(a->toString(), text);
  }
  EXPECT_EQ((SourceAddress{0x7F000001, 4010}).toString(), "127.0.0.1:4010");
}

TEST(SourceAddress, PortZeroMatchesAnyPort) {
  const SourceAddress pattern{0x0A000001, 0};
  const SourceAddress exact{0x0A000001, 4010};
  EXPECT_TRUE(pattern.matches({0x0A000001, 1234}));
  EXPECT_TRUE(exact.matches({0x0A000001, 4010}));
  EXPECT_FALSE(exact.matches({0x0A000001, 4011}));
  EXPECT_FALSE(pattern.matches({0x0A000002, 1234}));
  EXPECT_FALSE(exact.matches({0x0A000002, 4010}));
}

TEST(SourceAddress, EqualityComparesBothFields) {
  EXPECT_EQ((SourceAddress{1, 2}), (SourceAddress{1, 2}));
  EXPECT_NE((SourceAddress{1, 2}), (SourceAddress{1, 3}));
  EXPECT_NE((SourceAddress{1, 2}), (SourceAddress{4, 2}));
}

}  // namespace
}  // namespace scream::receiver
