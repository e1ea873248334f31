// Fuzz target for the mail address and domain parsers (core/proto/address.h, domain_name.h).
//
// Built as a libFuzzer binary when SENDPOOL_FUZZ is on, and replayed over corpus/address/ as an
// ordinary test otherwise. Any broken invariant aborts, which both drivers report as a failure:
//   - an accepted address is within the length limits, prints as printable ASCII, and its str()
//     parses back to the same address (also inside angle brackets), with domain_of() agreeing;
//   - an accepted domain is lower-case LDH, at most 253 octets, and normalises to itself;
//   - the null sender is never accepted as an address;
//   - every error message is non-empty printable ASCII (safe to log; never echoes raw bytes).
// Thread-safety: none needed; libFuzzer calls the entry point from one thread.
// Security: this is where hostile bytes are thrown at the parsers on purpose.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/proto/address.h"
#include "core/proto/domain_name.h"

namespace {

using sendpool::Error;

void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "address_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

bool is_printable_ascii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

void check_error(const Error& error) {
  check(error.code == sendpool::ErrorCode::kInvalidArgument, "errors are kInvalidArgument");
  check(!error.message.empty(), "error message is not empty");
  check(is_printable_ascii(error.message), "error message is printable ASCII");
}

void check_address(std::string_view input) {
  sendpool::Result<sendpool::MailAddress> parsed = sendpool::parse_mail_address(input);
  if (!parsed) {
    check_error(parsed.error());
    check(!sendpool::normalize_address(input).has_value(), "normalize_address fails alike");
    return;
  }
  const sendpool::MailAddress& address = *parsed;
  std::string text = address.str();
  check(!sendpool::is_null_sender(input), "the null sender is not an address");
  check(!address.local.empty(), "local part is not empty");
  check(address.local.size() <= sendpool::kMaxLocalPartLength, "local part within limit");
  check(text.size() <= sendpool::kMaxAddressLength, "address within limit");
  check(is_printable_ascii(text), "address is printable ASCII");
  check(text == address.local + "@" + address.domain, "str() is local@domain");

  sendpool::Result<std::string> domain = sendpool::normalize_domain(address.domain);
  check(domain.has_value() && *domain == address.domain, "domain is already normalised");
  check(sendpool::domain_of(text) == address.domain, "domain_of(str()) is the domain");

  sendpool::Result<sendpool::MailAddress> again = sendpool::parse_mail_address(text);
  check(again.has_value() && *again == address, "str() parses back to the same address");
  sendpool::Result<sendpool::MailAddress> bracketed =
      sendpool::parse_mail_address("<" + text + ">");
  check(bracketed.has_value() && *bracketed == address, "<str()> parses to the same address");
  sendpool::Result<std::string> normalized = sendpool::normalize_address(input);
  check(normalized.has_value() && *normalized == text, "normalize_address is parse + str()");
}

void check_domain(std::string_view input) {
  sendpool::Result<std::string> domain = sendpool::normalize_domain(input);
  if (!domain) {
    check_error(domain.error());
    return;
  }
  check(!domain->empty() && domain->size() <= sendpool::kMaxDomainLength, "domain within limit");
  for (char c : *domain) {
    bool ldh = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    check(ldh, "domain is lower-case letters, digits, hyphens and dots");
  }
  check(domain->front() != '.' && domain->back() != '.', "domain has no outer dot");
  sendpool::Result<std::string> again = sendpool::normalize_domain(*domain);
  check(again.has_value() && *again == *domain, "normalising twice changes nothing");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_address(input);
  check_domain(input);
  if (sendpool::is_null_sender(input)) {
    check(!sendpool::parse_mail_address(input).has_value(), "null sender is refused");
  }
  return 0;
}
