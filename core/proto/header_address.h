// The mailboxes of an address header (From:, Sender:, …) as RFC 5322 writes them.
//
// Handles display names (quoted, with "@" or "," inside), comments (nested, with escapes),
// angle addresses, bare addr-specs, groups ("team: a@x, b@y;") and the obsolete source
// routes inside angle brackets. Returns each mailbox as "local@domain" with the domain
// lower-cased (through parse_mail_address), in order.
// Security: header text comes from the message, i.e. from anyone; the parser bounds its
// input (kMaxAddressHeaderLength, kMaxHeaderMailboxes) and nesting, and never throws.
// Thread-safety: pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace sendpool {

inline constexpr size_t kMaxAddressHeaderLength = 16 * 1024;
inline constexpr size_t kMaxHeaderMailboxes = 1000;
inline constexpr int kMaxCommentNesting = 16;

// kInvalidArgument when the header is malformed or a mailbox is not a valid address.
Result<std::vector<std::string>> parse_header_mailboxes(std::string_view value);

}  // namespace sendpool
