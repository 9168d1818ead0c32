// Resolves the -i option (an interface name such as "eth0", or one of this machine's IPv4
// addresses) to the name, index and address the network input needs to join or bind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scream::receiver {

struct NetworkInterface {
  std::string name;
  unsigned index = 0;
  uint32_t ipv4 = 0;  // host byte order; 0 when the interface has no IPv4 address
};

// A name must exist; an address must be assigned to a local interface. On failure returns
// nullopt with a user-facing message in *error, e.g. "interface 'eth9' does not exist".
std::optional<NetworkInterface> resolveInterface(std::string_view nameOrAddress,
                                                 std::string* error);

}  // namespace scream::receiver
