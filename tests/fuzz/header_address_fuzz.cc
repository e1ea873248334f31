// Fuzz target for the address-header parser (core/proto/header_address.h).
//
// Built as a libFuzzer binary when SENDPOOL_FUZZ is on, and replayed over
// corpus/header_address/ as an ordinary test otherwise. Any broken invariant aborts:
//   - an accepted header yields at most kMaxHeaderMailboxes mailboxes, each of which
//     parse_mail_address() accepts and prints back unchanged (canonical, domain lower-case);
//   - the mailboxes, written back as a list, parse to the same mailboxes;
//   - input longer than kMaxAddressHeaderLength is refused;
//   - every error is kInvalidArgument with a non-empty printable ASCII message.
// Thread-safety: none needed; libFuzzer calls the entry point from one thread.
// Security: this is where hostile header text is thrown at the parser on purpose.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/proto/address.h"
#include "core/proto/header_address.h"

namespace {

void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "header_address_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

bool is_printable_ascii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  sendpool::Result<std::vector<std::string>> parsed = sendpool::parse_header_mailboxes(input);
  if (!parsed) {
    const sendpool::Error& error = parsed.error();
    check(error.code == sendpool::ErrorCode::kInvalidArgument, "errors are kInvalidArgument");
    check(!error.message.empty(), "error message is not empty");
    check(is_printable_ascii(error.message), "error message is printable ASCII");
    return 0;
  }
  check(input.size() <= sendpool::kMaxAddressHeaderLength, "over-long input is refused");
  check(parsed->size() <= sendpool::kMaxHeaderMailboxes, "mailbox count within limit");
  std::string list;
  for (const std::string& mailbox : *parsed) {
    sendpool::Result<sendpool::MailAddress> address = sendpool::parse_mail_address(mailbox);
    check(address.has_value(), "every mailbox is a valid address");
    check(address->str() == mailbox, "every mailbox parses back to itself");
    check(sendpool::domain_of(mailbox) == address->domain, "domain_of agrees");
    list += (list.empty() ? "" : ", ") + mailbox;
  }
  if (list.size() <= sendpool::kMaxAddressHeaderLength) {
    sendpool::Result<std::vector<std::string>> again = sendpool::parse_header_mailboxes(list);
    check(again.has_value() && *again == *parsed, "the mailboxes as a list parse to themselves");
  }
  return 0;
}
