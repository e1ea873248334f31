// Postfix delivery-log lines (Postfix 3.7 syslog and maillog_file formats) as outcome events.
//
// A line is `TIMESTAMP HOST PROGRAM[PID]: MESSAGE`, where TIMESTAMP is either the classic
// syslog `Mon DD HH:MM:SS` (DD space- or zero-padded; postlogd's maillog_file writes
// "Dec 04 16:38:39") or an ISO 8601 stamp `2026-12-04T16:34:21.123456+00:00` (rsyslog's high-
// precision format), and PROGRAM is Postfix's `syslog_name/daemon`: "postfix/qmgr", a pool
// transport's "postfix/pool_x/smtp", a second instance's "postfix-out/smtp". Lines of programs
// without a '/' are not Postfix's and are ignored. The messages that matter (src/global/
// log_adhoc.c, qmgr, cleanup, smtpd; reference/protocol-facts.md §5.6):
//
//   QID: from=<sender>, size=N, nrcpt=N (queue active)            -> QueueFrom (qmgr, at every
//                                                                    delivery attempt)
//   QID: from=<sender>, status=expired, returned to sender        -> MessageExpired (qmgr)
//   QID: to=<rcpt>[, orig_to=<orig>], relay=R, [conn_use=N, ]delay=S, delays=a/b/c/d,
//        dsn=X.Y.Z, status=sent|deferred|bounced|expired|SOFTBOUNCE (text) -> Delivery
//   QID: milter-reject: STAGE from …                               -> MilterReject
//   QID: reject: STAGE from …                                      -> Reject (with a queue ID)
//   QID: removed                                                   -> Removed
//
// Every other line (connect, client=, message-id=, NOQUEUE rejects, warnings, other programs)
// is irrelevant: parse_postfix_log_line() returns nullopt, not an error. A line that starts
// like one of the above but does not follow its format is an error (kInvalidArgument) the
// caller counts and skips. SOFTBOUNCE (soft_bounce = yes) is reported as kDeferred: the mail
// stays queued. Address-verification probes (deliverable/undeliverable) are irrelevant.
// Addresses are returned as Postfix logged them (external form, quotes kept), without <>.
// Thread-safety: pure functions.
// Security: log lines carry text from remote SMTP servers and clients. Every field is bounded
// (the limits below), nothing is interpreted beyond splitting, and error messages never repeat
// the input: callers sanitise what they log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/base/result.h"

namespace sendpool {

// Longest line parsed; longer ones are errors (Postfix's own lines stay far below).
inline constexpr size_t kMaxPostfixLogLineLength = 8192;
// Queue IDs: short upper-case hex ("6D21BA725B9") or long form ("4TsxNq5Hxvz9vK3": digits and
// letters without vowels), 5 to 32 characters.
inline constexpr size_t kMinQueueIdLength = 5;
inline constexpr size_t kMaxQueueIdLength = 32;
// An address as Postfix logs it, quoting included (RFC 5321 limits, with room for quoting).
inline constexpr size_t kMaxLoggedAddressLength = 512;
// The stage word of a reject line ("END-OF-MESSAGE").
inline constexpr size_t kMaxRejectStageLength = 32;

// The parts every line has; the views point into the parsed line.
struct PostfixLogPrefix {
  std::string_view timestamp;  // as written
  std::string_view host;
  std::string_view program;  // "postfix/pool_x/smtp"
  std::optional<uint32_t> pid;
  std::string_view message;  // after "]: "
};

enum class DeliveryStatus { kSent, kDeferred, kBounced, kExpired };

std::string_view to_string(DeliveryStatus s);

struct QueueFrom {
  std::string queue_id;
  std::string sender;  // empty for the null sender <>
  uint64_t size = 0;
  uint32_t nrcpt = 0;
  bool operator==(const QueueFrom&) const = default;
};

// The message stayed queued longer than maximal_queue_lifetime; its undelivered recipients
// are returned to the sender.
struct MessageExpired {
  std::string queue_id;
  std::string sender;
  bool operator==(const MessageExpired&) const = default;
};

struct Delivery {
  std::string queue_id;
  std::string recipient;               // to=
  std::optional<std::string> orig_to;  // the address as first received, when rewritten
  std::string relay;                   // "mx.example[192.0.2.1]:25", "none", "local"
  DeliveryStatus status = DeliveryStatus::kDeferred;
  std::string dsn;   // "5.1.1"
  std::string text;  // inside "status=… (text)", e.g. "host mx[ip] said: 550 5.1.1 …"
  bool operator==(const Delivery&) const = default;
};

// cleanup's "QID: milter-reject: END-OF-MESSAGE from client: reply; from=<…> to=<…> …".
struct MilterReject {
  std::string queue_id;
  std::string stage;  // "END-OF-MESSAGE", "DATA", "RCPT", …
  std::string rest;   // what follows the stage (client, reply, envelope)
  bool operator==(const MilterReject&) const = default;
};

// smtpd's "QID: reject: STAGE from client: reply; …" (NOQUEUE rejects are irrelevant).
struct Reject {
  std::string queue_id;
  std::string stage;
  std::string rest;
  bool operator==(const Reject&) const = default;
};

struct Removed {
  std::string queue_id;
  bool operator==(const Removed&) const = default;
};

using PostfixLogEvent =
    std::variant<QueueFrom, MessageExpired, Delivery, MilterReject, Reject, Removed>;

// The queue ID an event is about.
const std::string& queue_id_of(const PostfixLogEvent& event);

// Splits the timestamp, host and program off a line (without its newline); nullopt when the
// line does not have that shape.
std::optional<PostfixLogPrefix> parse_postfix_log_prefix(std::string_view line);

// True for a Postfix queue ID (not "NOQUEUE").
bool is_queue_id(std::string_view text);

// Parses one line (without its newline): an event, nullopt for an irrelevant line, or an
// error (kInvalidArgument, naming what is wrong but not repeating the input) for a relevant
// line that is malformed.
Result<std::optional<PostfixLogEvent>> parse_postfix_log_line(std::string_view line);

// The message part Postfix would log for `event` ("QID: to=<…>, relay=…"), for tests and
// round trips: parse_postfix_log_line(prefix + format(event)) gives the event back.
std::string format_postfix_log_message(const PostfixLogEvent& event);

}  // namespace sendpool
