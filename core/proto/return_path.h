// Return-path tokens: the signed envelope sender that ties a message to its account.
//
// The milter rewrites MAIL FROM to `<kind>.<account>.<day>.<tag>.<mac>@<return-path-domain>`:
//   kind     'b' (bounces and complaints) or 'u' (List-Unsubscribe mailto)
//   account  the account id, lower-case hex
//   day      the acceptance day (days since 1970-01-01), lower-case hex
//   tag      a short message tag chosen by the milter, lower-case base32 (1..16 characters)
//   mac      HMAC-SHA256 under the platform secret over "kind.account.day.tag", first 10
//            bytes, lower-case base32 (16 characters)
// Everything is lower case so receivers that change case do not break it, and the local part
// stays well within 64 octets. One token serves routing (socketmap), log attribution, late
// bounces and complaints (DESIGN.md §3).
// Security: decode() parses addresses from the Internet (bounces, ARF reports) and from
// Postfix lookups; it checks the MAC in constant time and rejects anything malformed.
// Thread-safety: pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace sendpool {

inline constexpr size_t kMaxTagLength = 16;
inline constexpr size_t kMacTextLength = 16;

enum class TokenKind { kBounce, kUnsubscribe };

struct ReturnPathToken {
  TokenKind kind = TokenKind::kBounce;
  uint64_t account = 0;  // the account id
  int day = 0;           // acceptance day number
  std::string tag;       // [a-z2-7]{1,16}
};

// The full address for `token` at `domain`; the tag must be valid (see is_valid_tag).
std::string encode_return_path(const ReturnPathToken& token, std::string_view domain,
                               std::string_view secret);

// Decodes and authenticates an address. nullopt when it is not one of ours: wrong domain,
// malformed, or a MAC that does not verify under `secret` (a forgery). Case-insensitive.
std::optional<ReturnPathToken> decode_return_path(std::string_view address, std::string_view domain,
                                                  std::string_view secret);

bool is_valid_tag(std::string_view tag);

// A fresh random message tag (8 base32 characters, 40 bits). The one function here that is not
// pure: it reads the system's random source.
Result<std::string> new_message_tag();

// Lower-case RFC 4648 base32 without padding (used for tags and MACs).
std::string base32_lower(std::string_view bytes);

}  // namespace sendpool
