// Fuzz target for Postfix log lines (core/proto/postfix_log.h).
//
// Built as a libFuzzer binary when SENDPOOL_FUZZ is on, and replayed over corpus/postfix_log/ as
// an ordinary test otherwise. Any broken invariant aborts, which both drivers report as a failure:
//   - parsing never crashes, and a line longer than kMaxPostfixLogLineLength is an error;
//   - a parsed prefix's fields are views into the line, the message its end;
//   - an event has a valid queue ID, and its formatted message, behind a syslog prefix, parses
//     back to the same event (when the formatted line is within the length limit);
//   - an event is only ever found on a line whose program has a '/' (syslog_name/daemon).
// Thread-safety: none needed; libFuzzer calls the entry point from one thread.
// Security: this is where hostile bytes are thrown at the parser on purpose.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/proto/postfix_log.h"

namespace {

void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "postfix_log_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto prefix = sendpool::parse_postfix_log_prefix(line);
  if (prefix) {
    check(inside(prefix->timestamp, line) && inside(prefix->host, line) &&
              inside(prefix->program, line) && inside(prefix->message, line),
          "prefix fields are views into the line");
    check(prefix->message.data() + prefix->message.size() == line.data() + line.size(),
          "the message runs to the end of the line");
  }
  auto parsed = sendpool::parse_postfix_log_line(line);
  if (line.size() > sendpool::kMaxPostfixLogLineLength) {
    check(!parsed, "an overlong line is an error");
    return 0;
  }
  if (!parsed || !*parsed) return 0;
  const sendpool::PostfixLogEvent& event = **parsed;
  check(prefix && prefix->program.find('/') != std::string_view::npos,
        "events come from syslog_name/daemon programs only");
  check(sendpool::is_queue_id(sendpool::queue_id_of(event)), "an event has a valid queue ID");
  std::string again =
      "Dec 04 16:48:41 mta postfix/pool_a/smtp[1]: " + sendpool::format_postfix_log_message(event);
  if (again.size() > sendpool::kMaxPostfixLogLineLength) return 0;
  auto back = sendpool::parse_postfix_log_line(again);
  check(back && *back && **back == event, "a formatted event parses back to itself");
  return 0;
}
