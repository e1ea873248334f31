// Delivery status notifications: RFC 3464 reports and, best effort, plain-text bounces.
//
// parse_dsn() finds the message/delivery-status part of a multipart/report (also
// message/global-delivery-status, RFC 6533) and reads its per-message block and one block per
// recipient; the message/rfc822 or text/rfc822-headers part gives the original headers, where
// the return-path token can be found when the envelope does not carry it.
// parse_plain_bounce() reads bounces that are not RFC 3464 (qmail, old Exchange, hand-made):
// recipients named as "<addr>:" paragraphs or on a line with a 5xx reply, the quoted headers
// from a message/rfc822 part or from the text itself.
// classify_bounce() decides which failures are "hard", i.e. say the recipient address itself
// is bad and belongs on the suppression list:
//
//   Action    Status                    Diagnostic text                          Result
//   failed    5.1.0 5.1.1 5.1.2 5.1.3   -                                        hard
//             5.1.6 5.1.10 5.2.1
//   failed    5.0.0 5.2.0 5.5.x, none   names the recipient ("user unknown",     hard
//                                       "no such user", "mailbox unavailable",
//                                       "does not exist", ...) and no policy word
//   failed    other 5.x.x (5.2.2 full,  -                                        soft
//             5.7.x policy, 5.4.x ...)
//   failed    text naming a policy block ("spam", "blocked", "blacklist",        soft
//             "policy", "reputation") wins over a recipient pattern
//   failed    4.x.x                     expired after retries                    soft
//   delayed, delivered, relayed, expanded                                        not a failure
//
// A soft failure still counts as a bounce; only hard ones are suppressed.
// Thread-safety: pure functions.
// Security: reports come from anyone on the Internet (and can be forged); the parsers are
// bounded (kMaxDsnRecipients, the mime_message.h limits), never throw, and keep addresses as
// text for the caller to validate.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "core/proto/mime_message.h"

namespace sendpool {

inline constexpr size_t kMaxDsnRecipients = 1000;
inline constexpr size_t kMaxPlainBounceLines = 20000;  // lines of text a plain bounce scan reads
inline constexpr size_t kMaxAddressTextLength = 255;   // longest local part or domain kept

enum class DsnAction { kFailed, kDelayed, kDelivered, kRelayed, kExpanded, kOther };

// An RFC 3463 enhanced status code: class.subject.detail.
struct DsnStatus {
  int klass = 0;
  int subject = 0;
  int detail = 0;
  std::string str() const;
  bool operator==(const DsnStatus&) const = default;
};

struct DsnRecipient {
  std::string final_recipient;     // address only ("rfc822;" and <> removed); may be empty
  std::string original_recipient;  // empty when absent
  DsnAction action = DsnAction::kOther;
  std::optional<DsnStatus> status;
  std::string diagnostic_code;  // as written, e.g. "smtp; 550 5.1.1 user unknown"
  std::string remote_mta;

  // The address the report is about: Original-Recipient when given, else Final-Recipient
  // (aliasing at the receiver may have changed the final one).
  const std::string& address() const {
    return original_recipient.empty() ? final_recipient : original_recipient;
  }
};

struct DeliveryReport {
  std::string reporting_mta;  // "dns; host" as written
  std::string original_envelope_id;
  std::string postfix_queue_id;  // X-Postfix-Queue-ID
  std::string postfix_sender;    // X-Postfix-Sender, address only: the original envelope sender
  std::vector<DsnRecipient> recipients;
  std::optional<HeaderBlock> original_headers;  // the quoted original message's headers
};

// Parses "5.1.1" (optionally followed by a comment); nullopt when malformed.
std::optional<DsnStatus> parse_dsn_status(std::string_view text);

// The address of an RFC 3464 address field ("rfc822; <a@b>" gives "a@b"; also without a type).
std::string dsn_address(std::string_view value);

// Parses the body of a message/delivery-status part. Errors: no per-recipient block, a block
// without Final-Recipient or Action, more than kMaxDsnRecipients recipients.
Result<DeliveryReport> parse_delivery_status(std::string_view body);

// The DSN in `message` (the top-level part, or a multipart/report nested in it); nullopt when
// the message is not one. An error when it declares report-type=delivery-status (or carries a
// delivery-status part) that does not parse.
Result<std::optional<DeliveryReport>> parse_dsn(const MimePart& message);

// Best effort for bounces that are not RFC 3464: nullopt when the message does not look like
// a bounce at all (an auto-reply, a person's mail); otherwise the failed recipients found
// (possibly none) and the quoted headers found. Recipients get Action failed and the status
// named in their text (or derived from the 3-digit reply code).
std::optional<DeliveryReport> parse_plain_bounce(const MimePart& message);

enum class BounceClass { kNotFailed, kSoft, kHard };

// See the table at the top of this file.
BounceClass classify_bounce(DsnAction action, const std::optional<DsnStatus>& status,
                            std::string_view diagnostic);

// Things that look like addresses ("local@domain.tld") in free text, in order, without
// duplicates, at most `max`. Not validated: a way to find candidates, not to trust them.
std::vector<std::string> addresses_in_text(std::string_view text, size_t max);

// The headers of the quoted original message in a report: the first message/rfc822,
// message/global, text/rfc822-headers or message/global-headers part of `report`.
std::optional<HeaderBlock> quoted_original_headers(const MimePart& report);

// The first multipart/report part (the message itself or nested), or nullptr.
const MimePart* find_report(const MimePart& message);

}  // namespace sendpool
