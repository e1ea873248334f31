// Abuse Reporting Format feedback reports (RFC 5965, updated by RFC 6650): complaints that
// mailbox providers send back through their feedback loops.
//
// parse_arf() finds the message/feedback-report part of a multipart/report
// (report-type=feedback-report), reads its one field block and the quoted original headers
// (message/rfc822 or text/rfc822-headers), where the return-path token is when the report is
// not sent to the token itself. Providers often redact the recipient (RFC 6590):
// Original-Rcpt-To is left out, or the local part is masked; is_redacted_address() recognises
// the usual masks so that a masked address is never put on a suppression list.
// Thread-safety: pure functions.
// Security: reports come from anyone (and can be forged: the caller checks the token's MAC);
// bounded by kMaxArfRecipients and the mime_message.h limits; never throws.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "core/proto/mime_message.h"

namespace sendpool {

inline constexpr size_t kMaxArfRecipients = 100;

struct FeedbackReport {
  std::string feedback_type;  // lower case: abuse, fraud, virus, other, not-spam, auth-failure
  std::string user_agent;
  std::string version;
  std::string original_mail_from;             // address only (angle brackets removed)
  std::vector<std::string> original_rcpt_to;  // addresses only; often absent
  std::string arrival_date;
  std::string source_ip;
  std::string reporting_mta;
  std::vector<std::string> reported_domains;
  std::optional<HeaderBlock> original_headers;  // the quoted original message's headers
};

// Parses the body of a message/feedback-report part. Error: no Feedback-Type field.
Result<FeedbackReport> parse_feedback_fields(std::string_view body);

// The feedback report in `message`; nullopt when it is not one. An error when it declares
// report-type=feedback-report (or carries a feedback-report part) that does not parse.
Result<std::optional<FeedbackReport>> parse_arf(const MimePart& message);

// Whether a Feedback-Type is a complaint about the mail: abuse, fraud, virus. Not "other",
// "not-spam" or "auth-failure" (RFC 6591 authentication failure reports).
bool is_complaint_feedback(std::string_view feedback_type);

// Whether an address's local part is a redaction mask: "redacted", "[redacted]",
// "xxxxxxxx", "********", "#####" (one repeated mask character), or empty.
bool is_redacted_address(std::string_view address);

}  // namespace sendpool
