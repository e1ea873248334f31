#include "core/proto/return_path.h"

#include <fmt/format.h>

#include <charconv>

#include "core/crypto/hmac.h"

namespace sendpool {
namespace {

constexpr std::string_view kBase32 = "abcdefghijklmnopqrstuvwxyz234567";
constexpr size_t kMacBytes = 10;
constexpr size_t kMaxIdHexDigits = 16;
constexpr size_t kMaxDayHexDigits = 8;

char kind_letter(TokenKind kind) {
  return kind == TokenKind::kBounce ? 'b' : 'u';
}

std::string signed_part(const ReturnPathToken& t) {
  return fmt::format("{}.{:x}.{:x}.{}", kind_letter(t.kind), t.account,
                     static_cast<unsigned>(t.day), t.tag);
}

std::string mac_text(std::string_view secret, std::string_view signed_text) {
  std::string mac = hmac_sha256(secret, signed_text);
  return base32_lower(std::string_view(mac).substr(0, kMacBytes));
}

template <typename T>
std::optional<T> parse_hex(std::string_view text, size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;  // one spelling per number
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  for (char c : text)
    if (c >= 'A' && c <= 'F') return std::nullopt;  // lower case only (input is lowered first)
  return v;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::string base32_lower(std::string_view bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32[(buffer << (5 - bits)) & 31]);
  return out;
}

bool is_valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength) return false;
  return tag.find_first_not_of(kBase32) == std::string_view::npos;
}

Result<std::string> new_message_tag() {
  SENDPOOL_ASSIGN_OR_RETURN(std::string bytes, random_bytes(5));
  return base32_lower(bytes);
}

std::string encode_return_path(const ReturnPathToken& token, std::string_view domain,
                               std::string_view secret) {
  std::string signed_text = signed_part(token);
  return fmt::format("{}.{}@{}", signed_text, mac_text(secret, signed_text), lower(domain));
}

std::optional<ReturnPathToken> decode_return_path(std::string_view address, std::string_view domain,
                                                  std::string_view secret) {
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
    address = address.substr(1, address.size() - 2);
  size_t at = address.rfind('@');
  if (at == std::string_view::npos || at > 64) return std::nullopt;
  std::string addr_domain = lower(address.substr(at + 1));
  if (!addr_domain.empty() && addr_domain.back() == '.') addr_domain.pop_back();
  if (addr_domain != lower(domain)) return std::nullopt;
  std::string local = lower(address.substr(0, at));

  // kind.account.day.tag.mac
  std::string_view parts[5];
  std::string_view rest = local;
  for (int i = 0; i < 5; ++i) {
    size_t dot = rest.find('.');
    if (i < 4) {
      if (dot == std::string_view::npos) return std::nullopt;
      parts[i] = rest.substr(0, dot);
      rest = rest.substr(dot + 1);
    } else {
      if (dot != std::string_view::npos) return std::nullopt;
      parts[i] = rest;
    }
  }
  ReturnPathToken t;
  if (parts[0] == "b")
    t.kind = TokenKind::kBounce;
  else if (parts[0] == "u")
    t.kind = TokenKind::kUnsubscribe;
  else
    return std::nullopt;
  auto id = parse_hex<uint64_t>(parts[1], kMaxIdHexDigits);
  auto day = parse_hex<uint32_t>(parts[2], kMaxDayHexDigits);
  if (!id || !day || *day > 0x7fffffff || !is_valid_tag(parts[3]) ||
      parts[4].size() != kMacTextLength)
    return std::nullopt;
  t.account = *id;
  t.day = static_cast<int>(*day);
  t.tag = std::string(parts[3]);
  if (!constant_time_equal(mac_text(secret, signed_part(t)), parts[4])) return std::nullopt;
  return t;
}

}  // namespace sendpool
