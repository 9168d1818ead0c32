// An IPv4 address as the registry and the command line spell it, and a strict dotted-quad
// parser that works on counted strings of any character type (the driver hands in the UTF-16
// of a REG_SZ value, the Linux sender a char string).
//
// Freestanding (compiled into the Windows kernel driver).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace scream::driver {

struct Ipv4Address {
  // In dotted order, which is also network byte order: 239.255.77.77 is {239, 255, 77, 77}.
  uint8_t octets[4] = {0, 0, 0, 0};

  constexpr bool isAny() const {
    return octets[0] == 0 && octets[1] == 0 && octets[2] == 0 && octets[3] == 0;
  }
  constexpr bool isMulticast() const { return octets[0] >= 224 && octets[0] <= 239; }
  // Host byte order value (239.255.77.77 -> 0xEFFF4D4D), e.g. for htonl().
  constexpr uint32_t toHostOrder() const {
    return (uint32_t{octets[0]} << 24) | (uint32_t{octets[1]} << 16) | (uint32_t{octets[2]} << 8) |
           uint32_t{octets[3]};
  }
};

constexpr bool operator==(const Ipv4Address& a, const Ipv4Address& b) {
  return a.toHostOrder() == b.toHostOrder();
}
constexpr bool operator!=(const Ipv4Address& a, const Ipv4Address& b) {
  return !(a == b);
}

// Parses exactly four decimal parts 0-255 separated by dots. Leading and trailing spaces, tabs
// and NULs (a REG_SZ length often counts its terminator) are ignored. Refused: fewer or more
// parts, empty parts, signs, hex, and leading zeros ("010": octal to inet_aton, decimal to
// others; a silent misreading would send audio elsewhere). On failure *out is unchanged.
template <class Char>
bool parseIpv4(const Char* text, size_t length, Ipv4Address* out) {
  auto blank = [](Char c) { return c == Char(' ') || c == Char('\t') || c == Char(0); };
  size_t begin = 0;
  while (begin < length && blank(text[begin])) ++begin;
  while (length > begin && blank(text[length - 1])) --length;

  Ipv4Address parsed;
  size_t pos = begin;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= length || text[pos] != Char('.')) return false;
      ++pos;
    }
    uint32_t value = 0;
    size_t digits = 0;
    while (pos < length && text[pos] >= Char('0') && text[pos] <= Char('9')) {
      if (digits == 3) return false;
      value = value * 10 + static_cast<uint32_t>(text[pos] - Char('0'));
      ++digits;
      ++pos;
    }
    if (digits == 0 || value > 255) return false;
    if (digits > 1 && text[pos - digits] == Char('0')) return false;
    parsed.octets[part] = static_cast<uint8_t>(value);
  }
  if (pos != length) return false;
  *out = parsed;
  return true;
}

}  // namespace scream::driver
