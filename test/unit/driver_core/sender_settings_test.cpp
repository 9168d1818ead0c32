#include "driver/core/sender_settings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scream::driver {
namespace {

struct Rejections {
  std::vector<SettingRejection> seen;
  void operator()(const SettingRejection& r) { seen.push_back(r); }
};

bool parse(const std::string& text, Ipv4Address* out) {
  return parseIpv4(text.data(), text.size(), out);
}

bool applyDword(SenderSettings& s, const std::string& name, uint32_t value, Rejections& r) {
  return s.applyDword(name.data(), name.size(), value, r);
}

bool applyString(SenderSettings& s, const std::u16string& name, const std::u16string& value,
                 Rejections& r) {
  return s.applyString(name.data(), name.size(), value.data(), value.size(), r);
}

TEST(Ipv4Address, ParsesDottedQuads) {
  Ipv4Address a;
  ASSERT_TRUE(parse("239.255.77.77", &a));
  EXPECT_EQ(a.toHostOrder(), 0xEFFF4D4Du);
  EXPECT_TRUE(a.isMulticast());
  ASSERT_TRUE(parse("0.0.0.0", &a));
  EXPECT_TRUE(a.isAny());
  ASSERT_TRUE(parse("  192.168.1.20 \t", &a));
  EXPECT_EQ(a, (Ipv4Address{{192, 168, 1, 20}}));
  ASSERT_TRUE(parse(std::string("10.0.0.1\0\0", 10), &a)) << "REG_SZ terminators are ignored";
  EXPECT_EQ(a, (Ipv4Address{{10, 0, 0, 1}}));
  ASSERT_TRUE(parse("255.255.255.255", &a));
  EXPECT_FALSE(a.isMulticast());
}

TEST(Ipv4Address, RefusesAnythingElseAndLeavesTheOutputAlone) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4.", ".1.2.3.4",
                          "01.2.3.4", "1.2.3.010", "0x1.2.3.4", "+1.2.3.4", "-1.2.3.4", "1.2.3.4x",
                          "1 .2.3.4", "1.2.3.1000", "1.2.3.0000", "a.b.c.d", "localhost"}) {
    Ipv4Address a{{9, 9, 9, 9}};
    EXPECT_FALSE(parse(bad, &a)) << '"' << bad << '"';
    EXPECT_EQ(a, (Ipv4Address{{9, 9, 9, 9}})) << bad;
  }
}

TEST(Ipv4Address, WorksOnWideCharacters) {
  const std::u16string text = u"127.0.0.1";
  Ipv4Address a;
  ASSERT_TRUE(parseIpv4(text.data(), text.size(), &a));
  EXPECT_EQ(a.toHostOrder(), 0x7F000001u);
  const std::u16string bad = u"127.0.0.\u0661";  // ARABIC-INDIC DIGIT ONE is not a digit here
  EXPECT_FALSE(parseIpv4(bad.data(), bad.size(), &a));
}

TEST(SenderSettings, DefaultsMatchUpstream) {
  const SenderSettings s;
  EXPECT_EQ(s.destination, (Ipv4Address{{239, 255, 77, 77}}));
  EXPECT_EQ(s.destinationPort, 4010);
  EXPECT_TRUE(s.source.isAny());
  EXPECT_EQ(s.sourcePort, 0);
  EXPECT_EQ(s.ttl, 0);
  EXPECT_EQ(s.dscp, 0);
  EXPECT_EQ(s.silenceThresholdFrames, 0u);
  EXPECT_EQ(s.ivshmemMiB, 0u);
  EXPECT_EQ(s.ivshmemChunkMs, 5u) << "ours: upstream writes 20 ms";
  EXPECT_TRUE(s.multicastInterface.isAny());
  EXPECT_TRUE(s.isMulticast());
}

TEST(SenderSettings, NamesAreCaseInsensitiveLikeTheRegistry) {
  EXPECT_EQ(findSetting("UnicastIPv4", 11), Setting::kUnicastIPv4);
  EXPECT_EQ(findSetting("UNICASTIPV4", 11), Setting::kUnicastIPv4);
  EXPECT_EQ(findSetting("ttl", 3), Setting::kTtl);
  EXPECT_EQ(findSetting("TTLx", 3), Setting::kTtl) << "counted: only the first 3 characters";
  EXPECT_EQ(findSetting("TTL", 2), Setting::kUnknown);
  EXPECT_EQ(findSetting("TTLX", 4), Setting::kUnknown);
  EXPECT_EQ(findSetting(u"multicastinterfaceipv4", 22), Setting::kMulticastInterfaceIPv4);
  EXPECT_EQ(findSetting(U"UseIvShMem", 10), Setting::kUseIvshmem);
  EXPECT_EQ(findSetting(u"T\u0100L", 3), Setting::kUnknown) << "no folding outside ASCII";
  for (size_t i = 0; i < kSettingCount; ++i) {
    const std::string name = settingName(static_cast<Setting>(i));
    EXPECT_EQ(findSetting(name.data(), name.size()), static_cast<Setting>(i)) << name;
  }
}

TEST(SenderSettings, ValidDwordsAreTaken) {
  SenderSettings s;
  Rejections r;
  EXPECT_TRUE(applyDword(s, "UnicastPort", 5000, r));
  EXPECT_TRUE(applyDword(s, "UnicastSrcPort", 65535, r));
  EXPECT_TRUE(applyDword(s, "TTL", 255, r));
  EXPECT_TRUE(applyDword(s, "DSCP", 46, r));
  EXPECT_TRUE(applyDword(s, "SilenceThreshold", 48000, r));
  EXPECT_TRUE(applyDword(s, "UseIVSHMEM", 2, r));
  EXPECT_TRUE(applyDword(s, "IVSHMEMChunkMs", 20, r));
  EXPECT_TRUE(r.seen.empty());
  EXPECT_EQ(s.destinationPort, 5000);
  EXPECT_EQ(s.sourcePort, 65535);
  EXPECT_EQ(s.ttl, 255);
  EXPECT_EQ(s.dscp, 46);
  EXPECT_EQ(s.silenceThresholdFrames, 48000u);
  EXPECT_EQ(s.ivshmemMiB, 2u);
  EXPECT_EQ(s.ivshmemChunkMs, 20u);
}

TEST(SenderSettings, InvalidDwordsFallBackToTheDefaultAndAreReported) {
  struct Case {
    const char* name;
    uint32_t value;
    Setting setting;
    SettingProblem problem;
  };
  const Case cases[] = {
      {"UnicastPort", 0, Setting::kUnicastPort, SettingProblem::kOutOfRange},
      {"UnicastPort", 65536, Setting::kUnicastPort, SettingProblem::kOutOfRange},
      {"UnicastSrcPort", 70000, Setting::kUnicastSrcPort, SettingProblem::kOutOfRange},
      {"TTL", 256, Setting::kTtl, SettingProblem::kOutOfRange},
      {"DSCP", 64, Setting::kDscp, SettingProblem::kOutOfRange},
      {"UseIVSHMEM", 0xFFFFFFFF, Setting::kUseIvshmem, SettingProblem::kOutOfRange},
      {"IVSHMEMChunkMs", 0, Setting::kIvshmemChunkMs, SettingProblem::kOutOfRange},
      {"IVSHMEMChunkMs", 21, Setting::kIvshmemChunkMs, SettingProblem::kOutOfRange},
      {"UnicastIPv4", 0x7F000001, Setting::kUnicastIPv4, SettingProblem::kWrongType},
      {"Volume", 3, Setting::kUnknown, SettingProblem::kUnknownName},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SenderSettings s;
    Rejections r;
    // A previous valid value must not survive an invalid one: the result is the default.
    s.destinationPort = 1;
    s.sourcePort = 2;
    s.ttl = 3;
    s.dscp = 4;
    s.ivshmemMiB = 5;
    s.ivshmemChunkMs = 7;
    EXPECT_FALSE(applyDword(s, c.name, c.value, r));
    ASSERT_EQ(r.seen.size(), 1u);
    EXPECT_EQ(r.seen[0].setting, c.setting);
    EXPECT_EQ(r.seen[0].problem, c.problem);
    EXPECT_EQ(r.seen[0].value, c.value);
    const SenderSettings defaults;
    switch (c.setting) {
      case Setting::kUnicastPort: EXPECT_EQ(s.destinationPort, defaults.destinationPort); break;
      case Setting::kUnicastSrcPort: EXPECT_EQ(s.sourcePort, defaults.sourcePort); break;
      case Setting::kTtl: EXPECT_EQ(s.ttl, defaults.ttl); break;
      case Setting::kDscp: EXPECT_EQ(s.dscp, defaults.dscp); break;
      case Setting::kUseIvshmem: EXPECT_EQ(s.ivshmemMiB, defaults.ivshmemMiB); break;
      case Setting::kIvshmemChunkMs: EXPECT_EQ(s.ivshmemChunkMs, defaults.ivshmemChunkMs); break;
      default: EXPECT_EQ(s.destinationPort, 1) << "other settings untouched";
    }
  }
}

TEST(SenderSettings, AddressesFromUtf16Strings) {
  SenderSettings s;
  Rejections r;
  EXPECT_TRUE(applyString(s, u"UnicastIPv4", u"192.168.1.50", r));
  EXPECT_TRUE(applyString(s, u"UnicastSrcIPv4", std::u16string(u"192.168.1.2\0", 12), r));
  EXPECT_TRUE(applyString(s, u"MulticastInterfaceIPv4", u"10.1.2.3", r));
  EXPECT_TRUE(r.seen.empty());
  EXPECT_EQ(s.destination, (Ipv4Address{{192, 168, 1, 50}}));
  EXPECT_FALSE(s.isMulticast());
  EXPECT_EQ(s.source, (Ipv4Address{{192, 168, 1, 2}}));
  EXPECT_EQ(s.multicastInterface, (Ipv4Address{{10, 1, 2, 3}}));
}

TEST(SenderSettings, InvalidAddressesFallBackToTheDefaultAndAreReported) {
  struct Case {
    const char16_t* name;
    const char16_t* value;
    Setting setting;
    SettingProblem problem;
  };
  const Case cases[] = {
      {u"UnicastIPv4", u"239.255.77", Setting::kUnicastIPv4, SettingProblem::kMalformedAddress},
      {u"UnicastIPv4", u"0.0.0.0", Setting::kUnicastIPv4, SettingProblem::kUnusableAddress},
      {u"UnicastSrcIPv4", u"224.0.0.1", Setting::kUnicastSrcIPv4, SettingProblem::kUnusableAddress},
      {u"MulticastInterfaceIPv4", u"239.1.1.1", Setting::kMulticastInterfaceIPv4,
       SettingProblem::kUnusableAddress},
      {u"MulticastInterfaceIPv4", u"eth0", Setting::kMulticastInterfaceIPv4,
       SettingProblem::kMalformedAddress},
      {u"TTL", u"4", Setting::kTtl, SettingProblem::kWrongType},
      {u"Destination", u"1.2.3.4", Setting::kUnknown, SettingProblem::kUnknownName},
  };
  for (const Case& c : cases) {
    SenderSettings s;
    s.destination = Ipv4Address{{1, 1, 1, 1}};
    s.source = Ipv4Address{{2, 2, 2, 2}};
    s.multicastInterface = Ipv4Address{{3, 3, 3, 3}};
    s.ttl = 9;
    Rejections r;
    EXPECT_FALSE(applyString(s, c.name, c.value, r));
    ASSERT_EQ(r.seen.size(), 1u);
    EXPECT_EQ(r.seen[0].setting, c.setting);
    EXPECT_EQ(r.seen[0].problem, c.problem);
    const SenderSettings defaults;
    switch (c.setting) {
      case Setting::kUnicastIPv4: EXPECT_EQ(s.destination, defaults.destination); break;
      case Setting::kUnicastSrcIPv4: EXPECT_EQ(s.source, defaults.source); break;
      case Setting::kMulticastInterfaceIPv4:
        EXPECT_EQ(s.multicastInterface, defaults.multicastInterface);
        break;
      case Setting::kTtl: EXPECT_EQ(s.ttl, defaults.ttl); break;
      default: EXPECT_EQ(s.destination, (Ipv4Address{{1, 1, 1, 1}})) << "nothing touched";
    }
  }
}

TEST(SenderSettings, EveryNameAndProblemHasADescription) {
  for (size_t i = 0; i <= kSettingCount; ++i) {
    EXPECT_STRNE(settingName(static_cast<Setting>(i)), "");
  }
  for (int p = 0; p <= static_cast<int>(SettingProblem::kUnusableAddress); ++p) {
    EXPECT_STRNE(describe(static_cast<SettingProblem>(p)), "unknown problem");
  }
}

}  // namespace
}  // namespace scream::driver
