#include "network_interface.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace scream::receiver {
namespace {

using IfAddrsPtr = std::unique_ptr<ifaddrs, decltype(&freeifaddrs)>;

IfAddrsPtr listAddresses(std::string* error) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    *error = std::string("cannot list network interfaces: ") + std::strerror(errno);
    return IfAddrsPtr(nullptr, freeifaddrs);
  }
  return IfAddrsPtr(list, freeifaddrs);
}

uint32_t ipv4Of(const ifaddrs* entry) {
  return ntohl(reinterpret_cast<const sockaddr_in*>(entry->ifa_addr)->sin_addr.s_addr);
}

bool isIpv4(const ifaddrs* entry) {
  return entry->ifa_addr != nullptr && entry->ifa_addr->sa_family == AF_INET;
}

}  // namespace

std::optional<NetworkInterface> resolveInterface(std::string_view nameOrAddress,
                                                 std::string* error) {
  const std::string text(nameOrAddress);
  if (text.empty()) {
    *error = "empty interface name";
    return std::nullopt;
  }
  in_addr address{};
  const bool isAddress = inet_pton(AF_INET, text.c_str(), &address) == 1;

  NetworkInterface result;
  if (!isAddress) {
    if (text.size() >= IF_NAMESIZE || (result.index = if_nametoindex(text.c_str())) == 0) {
      *error = "interface '" + text + "' does not exist";
      return std::nullopt;
    }
    result.name = text;
  }

  IfAddrsPtr list = listAddresses(error);
  if (!list) return std::nullopt;
  // getifaddrs lists an interface's primary address first; take that one.
  for (const ifaddrs* entry = list.get(); entry != nullptr; entry = entry->ifa_next) {
    if (!isIpv4(entry)) continue;
    if (isAddress ? ipv4Of(entry) == ntohl(address.s_addr) : result.name == entry->ifa_name) {
      // An alias label ("eth0:1") names the same device.
      result.name = std::string(entry->ifa_name).substr(0, std::strcspn(entry->ifa_name, ":"));
      result.ipv4 = ipv4Of(entry);
      break;
    }
  }
  if (isAddress) {
    if (result.name.empty()) {
      *error = "no local interface has the address " + text;
      return std::nullopt;
    }
    result.index = if_nametoindex(result.name.c_str());
    if (result.index == 0) {  // the interface vanished between the two calls
      *error = "interface '" + result.name + "' does not exist";
      return std::nullopt;
    }
  }
  return result;
}

}  // namespace scream::receiver
