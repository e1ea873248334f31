// Fuzz target for delivery reports: the MIME reader (core/proto/mime_message.h), DSNs and
// plain-text bounces (core/proto/dsn.h), and sendpool-feedback's analysis of a whole inbound
// message (tools/feedback/inbound.h), which is where all of them meet Internet input.
//
// Built as a libFuzzer binary when SENDPOOL_FUZZ is on, and replayed over corpus/dsn/ as an
// ordinary test otherwise. Any broken invariant aborts:
//   - parse_mime_message() refuses input over kMaxMimeMessageSize; an accepted message has at
//     most kMaxMimeParts parts, kMaxMimeDepth levels, kMaxHeaderFields fields per block, and
//     parsing it again gives the same structure;
//   - parse_dsn()/parse_plain_bounce()/parse_delivery_status() keep at most kMaxDsnRecipients
//     recipients, each with an address, and a status class of 2, 4 or 5;
//   - classify_bounce() calls only failed recipients failures;
//   - analyze_inbound(): an applied verdict names a token that decodes under the secret and
//     re-encodes to an address that decodes to it again, is never marked forged, and a bounce
//     never names an address at the return-path domain; a forged verdict is never applied.
// Thread-safety: none needed; libFuzzer calls the entry point from one thread.
// Security: this is where hostile reports are thrown at the parsers on purpose.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/proto/address.h"
#include "core/proto/dsn.h"
#include "core/proto/mime_message.h"
#include "core/proto/return_path.h"
#include "tools/feedback/inbound.h"

namespace {

using namespace sendpool;

// The corpus tokens were minted under this secret for this domain (tests/feedback/corpus).
constexpr std::string_view kSecret = "feedback-test-secret-0123456789";
constexpr std::string_view kDomain = "bounces.sendpool.test";
constexpr std::string_view kToken = "b.1.5137.aaaaaaaa.4duikpefqbtfkchw@bounces.sendpool.test";

void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "dsn_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

void check_structure(const MimePart& part, int depth, size_t& parts) {
  ++parts;
  check(depth <= kMaxMimeDepth, "nesting is bounded");
  check(part.headers.fields.size() <= kMaxHeaderFields, "fields per block are bounded");
  for (const auto& p : part.parts)
    check_structure(p, depth + 1, parts);
}

bool same(const MimePart& a, const MimePart& b) {
  if (a.body != b.body || a.parts.size() != b.parts.size() ||
      a.headers.fields.size() != b.headers.fields.size() ||
      a.content_type.type != b.content_type.type)
    return false;
  for (size_t i = 0; i < a.parts.size(); ++i)
    if (!same(a.parts[i], b.parts[i])) return false;
  return true;
}

void check_report(const DeliveryReport& r) {
  check(r.recipients.size() <= kMaxDsnRecipients, "recipients are bounded");
  for (const auto& rcpt : r.recipients) {
    check(!rcpt.address().empty(), "every recipient has an address");
    if (rcpt.status) {
      int k = rcpt.status->klass;
      check(k == 2 || k == 4 || k == 5, "a status class is 2, 4 or 5");
    }
    BounceClass c = classify_bounce(rcpt.action, rcpt.status, rcpt.diagnostic_code);
    check((c == BounceClass::kNotFailed) == (rcpt.action != DsnAction::kFailed),
          "only failed recipients are failures");
  }
}

void check_verdict(const feedback::Verdict& v) {
  if (v.forged) check(v.disposition == feedback::Disposition::kIgnore, "a forgery is ignored");
  if (v.disposition != feedback::Disposition::kApply) return;
  check(!v.forged, "an applied verdict is not forged");
  std::string again = encode_return_path(v.token, kDomain, kSecret);
  auto back = decode_return_path(again, kDomain, kSecret);
  check(back && back->account == v.token.account && back->day == v.token.day &&
            back->tag == v.token.tag,
        "an applied verdict names a genuine token");
  for (const auto& b : v.bounced)
    check(domain_of(b.address) != kDomain, "a bounce is never about our own address");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  auto status = parse_delivery_status(input);
  if (status) check_report(*status);

  auto message = parse_mime_message(input);
  if (size > kMaxMimeMessageSize) check(!message, "oversized input is refused");
  if (message) {
    size_t parts = 0;
    check_structure(*message, 0, parts);
    check(parts <= kMaxMimeParts, "parts are bounded");
    auto again = parse_mime_message(input);
    check(again && same(*message, *again), "parsing is deterministic");
    auto dsn = parse_dsn(*message);
    if (dsn && *dsn) check_report(**dsn);
    auto plain = parse_plain_bounce(*message);
    if (plain) check_report(*plain);
  }

  for (std::string_view recipient : {std::string_view(), kToken})
    check_verdict(feedback::analyze_inbound(
        input, feedback::InboundContext{std::string(recipient), "", std::string(kDomain),
                                        std::string(kSecret)}));
  return 0;
}
