// ASCII character classes shared by the mail-syntax parsers (RFC 1035, RFC 5321 terms).
//
// Locale-free on purpose: <cctype> answers depend on the C locale, and a parser of peer input
// must give the same answer everywhere. Internal to core/proto.
// Thread-safety: pure inline functions.
// Security: describe_byte() is how a parser names an offending byte in an error message without
// copying control characters, quotes or non-ASCII bytes into logs.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace sendpool::ascii {

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
inline bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool is_non_ascii(char c) {
  return static_cast<unsigned char>(c) >= 0x80;
}

// A letter, digit or hyphen: the characters of a DNS host name label (RFC 1035 2.3.1).
inline bool is_ldh(char c) {
  return is_alpha(c) || is_digit(c) || c == '-';
}

// RFC 5321 atext: what a dot-atom local part is made of, besides the dots.
inline bool is_atext(char c) {
  constexpr std::string_view kSymbols = "!#$%&'*+-/=?^_`{|}~";
  return is_alpha(c) || is_digit(c) || kSymbols.find(c) != std::string_view::npos;
}

inline char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Names a byte for an error message: 'x' for printable ASCII other than quotes and backslash,
// otherwise its hex value (0x0a), so the message itself stays safe to log.
inline std::string describe_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f && c != '\'' && c != '"' && c != '\\') return fmt::format("'{}'", c);
  return fmt::format("0x{:02x}", u);
}

}  // namespace sendpool::ascii
