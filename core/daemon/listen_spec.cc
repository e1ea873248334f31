#include "core/daemon/listen_spec.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/base/log.h"

namespace sendpool {
namespace {

bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ascii_alnum(char c) {
  return is_ascii_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

Error invalid(std::string_view text, std::string_view why) {
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("invalid listen address \"{}\": {}", sanitize(text, 120), why));
}

Result<uint16_t> parse_port(std::string_view all, std::string_view port) {
  if (port.empty()) return invalid(all, "missing port after the last ':'");
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), is_ascii_digit)) {
    return invalid(all, "port must be a number from 1 to 65535");
  }
  unsigned value = 0;
  std::from_chars(port.data(), port.data() + port.size(), value);
  if (value < 1 || value > 65535) return invalid(all, "port must be a number from 1 to 65535");
  return static_cast<uint16_t>(value);
}

Result<ListenSpec> parse_unix(std::string_view all, std::string_view path) {
  if (path.empty()) return invalid(all, "missing socket path after 'unix:'");
  if (path.front() != '/') return invalid(all, "socket path must be absolute (start with '/')");
  if (path.size() > kMaxUnixSocketPathLength) {
    return invalid(all,
                   fmt::format("socket path is longer than {} bytes", kMaxUnixSocketPathLength));
  }
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return invalid(all, "socket path contains a control character");
  }
  return make_unix_listen_spec(std::string(path));
}

Result<ListenSpec> parse_inet(std::string_view all, std::string_view rest) {
  std::string host;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return invalid(all, "missing ']' after the IPv6 address");
    std::string_view literal = rest.substr(1, close - 1);
    in6_addr addr6{};
    if (literal.empty() || literal.find('%') != std::string_view::npos ||
        inet_pton(AF_INET6, std::string(literal).c_str(), &addr6) != 1) {
      return invalid(all, "not a valid IPv6 address between '[' and ']'");
    }
    std::string_view after = rest.substr(close + 1);
    if (after.empty() || after.front() != ':') {
      return invalid(all, "expected ':port' after the IPv6 address");
    }
    host = std::string(literal);
    port = after.substr(1);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos)
      return invalid(all, "missing ':port' (expected inet:host:port)");
    std::string_view name = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (name.empty()) {
      return invalid(all, "missing host (use 0.0.0.0 or [::] to listen on every address)");
    }
    if (name.find(':') != std::string_view::npos) {
      return invalid(all, "an IPv6 address must be written in brackets, as in inet:[::1]:8891");
    }
    bool numeric =
        std::all_of(name.begin(), name.end(), [](char c) { return is_ascii_digit(c) || c == '.'; });
    if (numeric) {
      in_addr addr4{};
      if (inet_pton(AF_INET, std::string(name).c_str(), &addr4) != 1) {
        return invalid(all, "not a valid IPv4 address");
      }
    } else if (!is_domain_name(name)) {
      return invalid(all, "host must be an IPv4 address, a bracketed IPv6 address or a host name");
    }
    host = std::string(name);
  }
  SENDPOOL_ASSIGN_OR_RETURN(uint16_t number, parse_port(all, port));
  return make_inet_listen_spec(std::move(host), number);
}

}  // namespace

bool is_domain_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!is_ascii_alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Result<ListenSpec> parse_listen_spec(std::string_view text) {
  if (text.empty()) return invalid(text, "empty (expected unix:/path or inet:host:port)");
  if (text.size() > kMaxListenSpecLength) {
    return invalid(text, fmt::format("longer than {} bytes", kMaxListenSpecLength));
  }
  constexpr std::string_view kUnixPrefix = "unix:";
  constexpr std::string_view kInetPrefix = "inet:";
  if (text.starts_with(kUnixPrefix)) return parse_unix(text, text.substr(kUnixPrefix.size()));
  if (text.starts_with(kInetPrefix)) return parse_inet(text, text.substr(kInetPrefix.size()));
  return invalid(text, "expected unix:/path or inet:host:port");
}

std::string to_string(const ListenSpec& spec) {
  if (spec.kind == ListenSpec::Kind::kUnix) return "unix:" + spec.path;
  if (spec.host.find(':') != std::string::npos) {
    return fmt::format("inet:[{}]:{}", spec.host, spec.port);
  }
  return fmt::format("inet:{}:{}", spec.host, spec.port);
}

ListenSpec make_unix_listen_spec(std::string path) {
  ListenSpec spec;
  spec.kind = ListenSpec::Kind::kUnix;
  spec.path = std::move(path);
  spec.text = to_string(spec);
  return spec;
}

ListenSpec make_inet_listen_spec(std::string host, uint16_t port) {
  ListenSpec spec;
  spec.kind = ListenSpec::Kind::kInet;
  spec.host = std::move(host);
  spec.port = port;
  spec.text = to_string(spec);
  return spec;
}

}  // namespace sendpool
