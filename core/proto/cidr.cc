#include "core/proto/cidr.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/proto/ascii.h"

namespace sendpool {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

// ::ffff:0:0/96 (RFC 4291 2.5.5.2): ten zero bytes, then two 0xff bytes, then IPv4.
constexpr size_t kMappedPrefixBytes = 12;
constexpr int kMappedPrefixBits = 96;

bool is_ipv4_mapped(const IpAddress& ip) {
  if (ip.family != IpFamily::kIpv6) return false;
  for (size_t i = 0; i < 10; ++i) {
    if (ip.bytes[i] != 0) return false;
  }
  return ip.bytes[10] == 0xff && ip.bytes[11] == 0xff;
}

IpAddress unmap_ipv4(const IpAddress& mapped) {
  IpAddress ip;
  ip.family = IpFamily::kIpv4;
  std::copy_n(mapped.bytes.begin() + kMappedPrefixBytes, 4, ip.bytes.begin());
  return ip;
}

// inet_pton without the mapped-address conversion. IPv6 is tried only when there is a ':', so
// an IPv4 text can never be misread as something else.
std::optional<IpAddress> parse_ip_as_written(std::string_view text) {
  if (text.empty() || text.size() > kMaxIpTextLength) return std::nullopt;
  // inet_pton stops at a NUL; "192.0.2.1\0junk" must not pass as 192.0.2.1.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  char buffer[kMaxIpTextLength + 1];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';

  IpAddress ip;
  bool v6 = text.find(':') != std::string_view::npos;
  ip.family = v6 ? IpFamily::kIpv6 : IpFamily::kIpv4;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, buffer, ip.bytes.data()) != 1) return std::nullopt;
  return ip;
}

// Clears every bit after the first `prefix_length`.
void clear_host_bits(IpAddress& ip, int prefix_length) {
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(prefix_length - i * 8, 0, 8);
    ip.bytes[i] &= static_cast<uint8_t>(0xff00u >> keep);
  }
}

Result<int> parse_prefix_length(std::string_view text, const IpAddress& ip) {
  if (text.empty()) return invalid("prefix length is missing after '/'");
  if (text.size() > 3 || !std::all_of(text.begin(), text.end(), ascii::is_digit)) {
    return invalid("prefix length is not a decimal number");
  }
  if (text.size() > 1 && text.front() == '0') return invalid("prefix length has a leading zero");
  int value = 0;
  for (char c : text)
    value = value * 10 + (c - '0');
  if (value > ip.bit_count()) {
    return invalid(fmt::format("prefix length {} is out of range for {} (0..{})", value,
                               ip.family == IpFamily::kIpv4 ? "IPv4" : "IPv6", ip.bit_count()));
  }
  return value;
}

}  // namespace

std::string IpAddress::str() const {
  char buffer[kMaxIpTextLength + 1];
  int af = family == IpFamily::kIpv4 ? AF_INET : AF_INET6;
  if (inet_ntop(af, bytes.data(), buffer, sizeof buffer) == nullptr) std::abort();  // cannot fail
  return buffer;
}

bool Cidr::contains(const IpAddress& ip) const {
  if (prefix_length < 0 || prefix_length > network.bit_count()) std::abort();  // broken invariant
  if (ip.family != network.family) return false;
  int full_bytes = prefix_length / 8;
  if (!std::equal(ip.bytes.begin(), ip.bytes.begin() + full_bytes, network.bytes.begin())) {
    return false;
  }
  int rest = prefix_length % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff00u >> rest);
  return (ip.bytes[full_bytes] & mask) == (network.bytes[full_bytes] & mask);
}

std::string Cidr::str() const {
  return fmt::format("{}/{}", network.str(), prefix_length);
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  std::optional<IpAddress> ip = parse_ip_as_written(text);
  if (ip && is_ipv4_mapped(*ip)) return unmap_ipv4(*ip);
  return ip;
}

Result<Cidr> parse_cidr(std::string_view text) {
  if (text.empty()) return invalid("network is empty");
  if (text.size() > kMaxCidrTextLength) {
    return invalid(fmt::format("network is longer than {} characters", kMaxCidrTextLength));
  }
  size_t slash = text.find('/');
  std::optional<IpAddress> ip = parse_ip_as_written(text.substr(0, slash));
  if (!ip) return invalid("not an IPv4 or IPv6 address (or address/prefix)");

  Cidr cidr;
  cidr.prefix_length = ip->bit_count();
  if (slash != std::string_view::npos) {
    std::string_view prefix_text = text.substr(slash + 1);
    SENDPOOL_ASSIGN_OR_RETURN(cidr.prefix_length, parse_prefix_length(prefix_text, *ip));
  }
  // A network wholly inside ::ffff:0:0/96 is an IPv4 network; see the header.
  if (is_ipv4_mapped(*ip) && cidr.prefix_length >= kMappedPrefixBits) {
    ip = unmap_ipv4(*ip);
    cidr.prefix_length -= kMappedPrefixBits;
  }
  clear_host_bits(*ip, cidr.prefix_length);
  cidr.network = *ip;
  return cidr;
}

}  // namespace sendpool
