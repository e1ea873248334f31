// What one inbound message to the return-path domain is, and whom it is about.
//
// analyze_inbound() is the pure half of sendpool-feedback: bytes in, a Verdict out, no store,
// clock or log. It parses the message (core/proto mime_message, dsn, arf), finds the
// return-path token, checks its MAC, and says what to apply:
//  - a DSN or plain-text bounce: the failed recipients, each hard or soft (dsn.h table);
//  - an ARF complaint (abuse, fraud, virus): the complaining recipient (Original-Rcpt-To,
//    else the quoted To:) unless redacted;
//  - mail to a `u.` token (the List-Unsubscribe mailto): the sender's address (From:, else
//    the envelope sender).
// The token comes from the envelope recipient (Postfix pipe's ${recipient}) when that is a
// token of ours; otherwise from the report: X-Postfix-Sender, Original-Mail-From, the quoted
// Return-Path, the quoted List-Unsubscribe mailto, and for plain bounces the To: header and
// the text. A token-shaped address whose MAC does not verify is a forgery: the verdict is
// kIgnore with `forged` set, and nothing else in the message is trusted.
// Thread-safety: pure.
// Security: everything here is attacker-controlled input; only a token whose HMAC verifies
// under the platform secret names an account. Reasons are safe to log (no raw input).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/proto/return_path.h"
#include "core/store/feedback.h"

namespace sendpool::feedback {

struct InboundContext {
  std::string recipient;  // envelope recipient (--recipient); may be empty
  std::string sender;     // envelope sender (--sender), when known; "" = unknown or null
  std::string return_path_domain;
  std::string secret;
};

enum class Disposition {
  kApply,        // apply `kind` for `token`
  kIgnore,       // deliberately ignored: not ours, forged, nothing to count (exit 0)
  kUnparseable,  // broken input (exit 65)
};

enum class ReportKind { kBounce, kComplaint, kUnsubscribe };

struct Verdict {
  Disposition disposition = Disposition::kIgnore;
  std::string reason;  // why, in a few words, safe to log
  bool forged = false;
  ReportKind kind = ReportKind::kBounce;
  bool rfc3464 = false;  // a bounce from a real DSN (not a plain-text one)
  ReturnPathToken token;
  std::vector<BouncedRecipient> bounced;  // kBounce: failed recipients
  std::string complaint_recipient;        // kComplaint: "" when unknown or redacted
  std::string feedback_type;              // kComplaint
  std::string unsubscriber;               // kUnsubscribe
};

// Whether `address` has the shape of one of our tokens at `domain` (whatever its MAC says).
bool is_token_shaped(std::string_view address, std::string_view domain);

Verdict analyze_inbound(std::string_view message, const InboundContext& context);

}  // namespace sendpool::feedback
