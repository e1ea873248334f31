// Email addresses as they appear in SMTP envelopes (MAIL FROM, RCPT TO) and suppression lists.
//
// parse_mail_address() accepts `local@domain` or `<local@domain>`, with surrounding spaces or
// tabs. The local part is an RFC 5321 dot-atom or quoted string and is kept exactly as given,
// quotes and case included, because the receiving system decides what it means. The domain is
// normalised by normalize_domain() (lower-cased, one trailing dot removed), so str() is the
// canonical key under which the same mailbox is always found. Source routes and SMTPUTF8
// (non-ASCII) addresses are refused.
// The null sender (`<>`, or an empty sender as Postfix hands it to policy servers) is not a
// mailbox: is_null_sender() recognises it, parse_mail_address() refuses it.
// Thread-safety: value types and pure functions.
// Security: the text comes from SMTP peers and customers; every byte is checked, lengths are
// bounded by kMaxLocalPartLength and kMaxAddressLength, and error messages never repeat the
// input (callers quote it, sanitised, if they must).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace sendpool {

// RFC 5321 4.5.3.1: local part at most 64 octets; a path at most 256 octets including the
// angle brackets, so 254 for local@domain.
inline constexpr size_t kMaxLocalPartLength = 64;
inline constexpr size_t kMaxAddressLength = 254;

struct MailAddress {
  std::string local;   // dot-atom or quoted string (with its quotes), exactly as given
  std::string domain;  // as normalize_domain() returns it

  // `local@domain`, the canonical form; parsing it gives the same address back.
  std::string str() const;

  bool operator==(const MailAddress&) const = default;
};

// Parses `local@domain` or `<local@domain>`; kInvalidArgument says what is wrong.
Result<MailAddress> parse_mail_address(std::string_view text);

// parse_mail_address(text)->str(): the canonical spelling of an address.
Result<std::string> normalize_address(std::string_view text);

// The text after the last '@' of a bare address, or empty when there is none. Not validated
// or normalised: a fast path for callers that already hold a parsed or trusted address.
std::string_view domain_of(std::string_view address);

// True for the null reverse-path: `<>`, or empty (how Postfix passes it to policy servers),
// ignoring surrounding spaces and tabs.
bool is_null_sender(std::string_view text);

}  // namespace sendpool
