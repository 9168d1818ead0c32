#include "source_address.h"

#include <arpa/inet.h>

#include <charconv>

namespace scream::receiver {

std::string SourceAddress::toString() const {
  in_addr address{};
  address.s_addr = htonl(ipv4);
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &address, text, sizeof text);
  std::string result = text;
  if (port != 0) result += ":" + std::to_string(port);
  return result;
}

std::optional<SourceAddress> SourceAddress::parse(std::string_view text) {
  const size_t colon = text.find(':');
  const std::string_view host = text.substr(0, colon);
  if (host.empty() || host.size() >= INET_ADDRSTRLEN) return std::nullopt;

  // inet_pton (unlike inet_aton) accepts only the four-part dotted decimal form.
  const std::string hostText(host);
  in_addr address{};
  if (inet_pton(AF_INET, hostText.c_str(), &address) != 1) return std::nullopt;

  SourceAddress result;
  result.ipv4 = ntohl(address.s_addr);
  if (colon == std::string_view::npos) return result;

  const std::string_view portText = text.substr(colon + 1);
  if (portText.empty() || portText.size() > 5) return std::nullopt;
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (error != std::errc() || end != portText.data() + portText.size() || port > 65535) {
    return std::nullopt;
  }
  result.port = static_cast<uint16_t>(port);
  return result;
}

bool SourceAddress::matches(const SourceAddress& other) const {
  return ipv4 == other.ipv4 && (port == 0 || other.port == 0 || port == other.port);
}

}  // namespace scream::receiver
