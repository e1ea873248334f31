// Fuzz target for the IP address and CIDR parsers (core/proto/cidr.h).
//
// Built as a libFuzzer binary when SENDPOOL_FUZZ is on, and replayed over corpus/cidr/ as an
// ordinary test otherwise. Any broken invariant aborts, which both drivers report as a failure:
//   - an accepted address prints with str() and parses back equal; IPv4-mapped IPv6 never
//     survives parsing; parse_cidr() of the same text is that single host;
//   - an accepted network has an in-range prefix, no host bits, contains its own network
//     address, and its str() parses back equal;
//   - an input "network\naddress" checks contains() against a bit-by-bit reference;
//   - every error message is non-empty printable ASCII.
// Thread-safety: none needed; libFuzzer calls the entry point from one thread.
// Security: this is where hostile bytes are thrown at the parsers on purpose.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "core/proto/cidr.h"

namespace {

using sendpool::Cidr;
using sendpool::IpAddress;
using sendpool::IpFamily;

void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "cidr_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

bool bit(const IpAddress& ip, int index) {
  return (ip.bytes[index / 8] >> (7 - index % 8)) & 1;
}

// The slow, obviously right contains(): same family and the first prefix bits equal.
bool reference_contains(const Cidr& cidr, const IpAddress& ip) {
  if (cidr.network.family != ip.family) return false;
  for (int i = 0; i < cidr.prefix_length; ++i) {
    if (bit(cidr.network, i) != bit(ip, i)) return false;
  }
  return true;
}

bool is_ipv4_mapped(const IpAddress& ip) {
  for (int i = 0; i < 10; ++i) {
    if (ip.bytes[i] != 0) return false;
  }
  return ip.family == IpFamily::kIpv6 && ip.bytes[10] == 0xff && ip.bytes[11] == 0xff;
}

void check_ip(std::string_view input) {
  std::optional<IpAddress> ip = sendpool::parse_ip(input);
  if (!ip) return;
  check(!is_ipv4_mapped(*ip), "IPv4-mapped addresses become IPv4");
  if (ip->family == IpFamily::kIpv4) {
    for (size_t i = 4; i < ip->bytes.size(); ++i)
      check(ip->bytes[i] == 0, "IPv4 tail is zero");
  }
  check(sendpool::parse_ip(ip->str()) == ip, "str() parses back to the same address");
  sendpool::Result<Cidr> host = sendpool::parse_cidr(input);
  check(host.has_value(), "an address is a network");
  check(host->network == *ip && host->prefix_length == ip->bit_count(), "an address is one host");
  check(host->contains(*ip), "a host network contains its address");
}

void check_cidr(std::string_view input) {
  sendpool::Result<Cidr> cidr = sendpool::parse_cidr(input);
  if (!cidr) {
    const std::string& message = cidr.error().message;
    check(cidr.error().code == sendpool::ErrorCode::kInvalidArgument, "errors are invalid input");
    check(!message.empty(), "error message is not empty");
    for (char c : message)
      check(c >= 0x20 && c <= 0x7e, "error message is printable ASCII");
    return;
  }
  int bits = cidr->network.bit_count();
  check(cidr->prefix_length >= 0 && cidr->prefix_length <= bits, "prefix length in range");
  for (int i = cidr->prefix_length; i < 128; ++i)
    check(!bit(cidr->network, i), "no host bits");
  check(cidr->contains(cidr->network), "a network contains its own address");
  sendpool::Result<Cidr> again = sendpool::parse_cidr(cidr->str());
  check(again.has_value() && *again == *cidr, "str() parses back to the same network");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_ip(input);
  check_cidr(input);
  // "network\naddress": exercise contains() on a pair.
  size_t newline = input.find('\n');
  if (newline != std::string_view::npos) {
    sendpool::Result<Cidr> cidr = sendpool::parse_cidr(input.substr(0, newline));
    std::optional<IpAddress> ip = sendpool::parse_ip(input.substr(newline + 1));
    if (cidr && ip) {
      check(cidr->contains(*ip) == reference_contains(*cidr, *ip), "contains() matches reference");
    }
  }
  return 0;
}
