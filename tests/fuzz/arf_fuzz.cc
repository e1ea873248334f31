// Fuzz target for ARF feedback reports (core/proto/arf.h) and the feedback-report field block.
//
// Built as a libFuzzer binary when SENDPOOL_FUZZ is on, and replayed over corpus/arf/ as an
// ordinary test otherwise. Any broken invariant aborts:
//   - parse_feedback_fields() on raw bytes: an accepted block has a non-empty, lower-case
//     Feedback-Type and at most kMaxArfRecipients Original-Rcpt-To addresses;
//   - parse_arf() on a parsed message: the same, plus is_complaint_feedback() only for
//     abuse, fraud and virus;
//   - is_redacted_address() is total (any bytes) and says yes to an empty local part.
// Thread-safety: none needed; libFuzzer calls the entry point from one thread.
// Security: this is where hostile reports are thrown at the parser on purpose.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/proto/arf.h"
#include "core/proto/mime_message.h"

namespace {

using namespace sendpool;

void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "arf_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

void check_report(const FeedbackReport& r) {
  check(!r.feedback_type.empty(), "a report has a Feedback-Type");
  for (char c : r.feedback_type)
    check(!(c >= 'A' && c <= 'Z'), "the Feedback-Type is lower case");
  check(r.original_rcpt_to.size() <= kMaxArfRecipients, "recipients are bounded");
  bool complaint = is_complaint_feedback(r.feedback_type);
  check(complaint == (r.feedback_type == "abuse" || r.feedback_type == "fraud" ||
                      r.feedback_type == "virus"),
        "only abuse, fraud and virus are complaints");
  for (const auto& a : r.original_rcpt_to)
    (void)is_redacted_address(a);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto fields = parse_feedback_fields(input);
  if (fields) check_report(*fields);
  auto message = parse_mime_message(input);
  if (message) {
    auto arf = parse_arf(*message);
    if (arf && *arf) check_report(**arf);
  }
  (void)is_redacted_address(input.substr(0, 300));
  check(is_redacted_address("@x.example"), "an empty local part is redacted");
  return 0;
}
