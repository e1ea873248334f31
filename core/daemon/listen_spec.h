// Listen specs: where a sendpool daemon accepts connections, written the Postfix way.
//
// `unix:/absolute/path` names a UNIX-domain socket; `inet:host:port` a TCP socket, where host
// is an IPv4 literal, a bracketed IPv6 literal (`[::1]`) or a host name (`localhost`).
// Parsing is pure (no name resolution, no sockets); callers bind what they get.
// Thread-safety: value types and pure functions.
// Security: the text comes from the configuration file, which the operator writes; it is
// still bounded and checked byte by byte, and quoted sanitised in error messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace sendpool {

// Longest listen spec text accepted; far beyond any real path or host name.
inline constexpr size_t kMaxListenSpecLength = 1024;
// sockaddr_un.sun_path holds 108 bytes on Linux, one of them the terminating NUL.
inline constexpr size_t kMaxUnixSocketPathLength = 107;

struct ListenSpec {
  enum class Kind { kUnix, kInet };
  Kind kind = Kind::kUnix;
  std::string path;   // kUnix: absolute socket path
  std::string host;   // kInet: IPv4 literal, IPv6 literal without brackets, or host name
  uint16_t port = 0;  // kInet: 1..65535
  std::string text;   // canonical text form, as to_string() gives it; for messages

  bool operator==(const ListenSpec&) const = default;
};

// Parses `unix:/abs/path` or `inet:host:port`; the error message quotes the input and says
// what is wrong with it.
Result<ListenSpec> parse_listen_spec(std::string_view text);

// The canonical text form (`unix:/path`, `inet:host:port`, `inet:[v6]:port`); parsing it
// gives the same spec back.
std::string to_string(const ListenSpec& spec);

// True when `name` looks like a DNS host or domain name: dot-separated labels of 1..63
// letters, digits and inner hyphens, 253 bytes at most, no empty label (so no trailing dot).
bool is_domain_name(std::string_view name);

// Builds specs from parts (for built-in defaults); `text` is filled in.
ListenSpec make_unix_listen_spec(std::string path);
ListenSpec make_inet_listen_spec(std::string host, uint16_t port);

}  // namespace sendpool
