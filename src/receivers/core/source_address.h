// An IPv4 sender address (address + UDP port), as the network input reports it and as the
// --source option pins it. Used by the source filter, the stats and the logs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scream::receiver {

struct SourceAddress {
  uint32_t ipv4 = 0;  // host byte order
  uint16_t port = 0;  // 0 = any port (only meaningful in a pattern such as --source)

  bool operator==(const SourceAddress&) const = default;

  // "192.168.1.5:4010"; just "192.168.1.5" when port is 0, so parse(toString()) round-trips.
  std::string toString() const;

  // "IP" (port 0 = any port) or "IP:PORT" with a dotted-quad IPv4 address and a decimal port
  // 0-65535. Anything else (names, IPv6, spaces, trailing characters) gives nullopt.
  static std::optional<SourceAddress> parse(std::string_view text);

  // Same address, and the same port unless either side's port is 0 (= any port).
  bool matches(const SourceAddress& other) const;
};

}  // namespace scream::receiver
