// IP addresses and CIDR networks, for allow/deny lists matched against Postfix client addresses.
//
// parse_cidr() accepts `192.0.2.0/24`, `2001:db8::/32`, or a bare address meaning a single host
// (`192.0.2.7` is /32, `::1` is /128). Networks are canonical: host bits are cleared, so
// `192.0.2.7/24` becomes `192.0.2.0/24`, and str() prints what parses back to an equal Cidr.
//
// IPv4-mapped IPv6 (`::ffff:192.0.2.1`): Postfix reports a client's address in that form or as
// plain IPv4 depending on the listener (inet_protocols, a dual-stack socket). Both parsers
// therefore turn mapped addresses into plain IPv4: parse_ip("::ffff:192.0.2.1") equals
// parse_ip("192.0.2.1"), and parse_cidr("::ffff:192.0.2.0/120") is 192.0.2.0/24, so one IPv4
// rule matches the client either way. An IPv4 address never matches an IPv6 network, even one
// as wide as `::/0`; list `0.0.0.0/0` as well to match everything.
//
// Thread-safety: value types and pure functions.
// Security: addresses come from Postfix (client_address) and from customers' lists; text is
// bounded by the constants below and parsed by inet_pton(3) only (no name resolution, no zone
// IDs, no octal or short IPv4 forms), and error messages never repeat the input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace sendpool {

// The longest IPv6 text form, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" (INET6_ADDRSTRLEN
// less its NUL), and that plus "/128".
inline constexpr size_t kMaxIpTextLength = 45;
inline constexpr size_t kMaxCidrTextLength = kMaxIpTextLength + 4;

enum class IpFamily { kIpv4, kIpv6 };

struct IpAddress {
  IpFamily family = IpFamily::kIpv4;
  // Network byte order. IPv4 uses the first 4 bytes; the rest stay zero so == is exact.
  std::array<uint8_t, 16> bytes{};

  // 32 or 128.
  int bit_count() const { return family == IpFamily::kIpv4 ? 32 : 128; }
  // inet_ntop(3) text: "192.0.2.1", "2001:db8::1".
  std::string str() const;

  bool operator==(const IpAddress&) const = default;
};

struct Cidr {
  IpAddress network;      // the family, and the address with every host bit zero
  int prefix_length = 0;  // 0..network.bit_count()

  // True when `ip` is of the same family and its first prefix_length bits equal the network's.
  bool contains(const IpAddress& ip) const;
  // "192.0.2.0/24", "2001:db8::/32"; the prefix length is always shown.
  std::string str() const;

  bool operator==(const Cidr&) const = default;
};

// Parses an IPv4 dotted quad or an IPv6 address; IPv4-mapped IPv6 becomes IPv4. nullopt when
// the text is anything else.
std::optional<IpAddress> parse_ip(std::string_view text);

// Parses `address/prefix` or a bare address (a single host) into a canonical network;
// kInvalidArgument says what is wrong.
Result<Cidr> parse_cidr(std::string_view text);

}  // namespace sendpool
