// Mail domain names: validation and the one canonical spelling used as a key.
//
// normalize_domain() turns the domain half of an address, or a configured sending domain, into
// lower-case ASCII, so that "Example.COM." and "example.com" name the same suppression entry,
// quota bucket and DKIM key. Internationalised names must arrive in IDNA A-label form
// ("xn--bcher-kva.example"); A-labels are checked as ordinary letter-digit-hyphen labels, not
// decoded. Address literals ("[192.0.2.1]") and bare IP addresses are not mail domains.
// Thread-safety: pure functions, no shared state.
// Security: the text comes from SMTP peers (MAIL FROM, RCPT TO, headers) and from customers;
// every byte is checked, lengths are bounded by the constants below, and error messages only
// quote labels already known to be letters, digits and hyphens.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace sendpool {

// RFC 1035 2.3.4: a label is 1..63 octets; a name in text form (no trailing dot) at most 253.
inline constexpr size_t kMaxDomainLabelLength = 63;
inline constexpr size_t kMaxDomainLength = 253;
// A mail domain needs a parent: single-label names ("localhost") are refused.
inline constexpr size_t kMinDomainLabels = 2;

// Validates a mail domain and returns it lower-cased, with one trailing dot removed; the error
// (kInvalidArgument) says what is wrong without repeating the input.
Result<std::string> normalize_domain(std::string_view text);

}  // namespace sendpool
