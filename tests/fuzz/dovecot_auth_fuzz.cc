// Fuzz target for the Dovecot auth protocol (core/proto/dovecot_auth.h).
//
// The first byte of the input chooses how the rest is split into feed() calls; the rest is the
// byte stream from "Postfix". Any broken invariant aborts:
//   - feeding in pieces gives the same lines and the same result as one feed;
//   - no line is longer than kMaxAuthLineLength or holds an LF or NUL;
//   - parse_auth_command never crashes; an AUTH or CONT it accepts has a decimal id, AUTH an
//     upper-case mechanism and parameters with non-empty names, none called resp;
//   - parse_sasl_plain, run over each line with TABs read as NULs, accepts only what joins back
//     to the same bytes, with a non-empty user name and password;
//   - the handshake and every reply, fed any text from the input, are exactly the expected
//     number of LF-terminated lines with the expected number of TAB-separated fields.
// Thread-safety: none needed; libFuzzer calls the entry point from one thread.
// Security: this is where hostile bytes are thrown at the parsers on purpose.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/proto/dovecot_auth.h"

namespace {

using sendpool::AuthCommand;
using sendpool::AuthCommandKind;

void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "dovecot_auth_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

struct Outcome {
  std::vector<std::string> lines;
  bool ok = true;
  std::string error;
};

Outcome run(std::string_view bytes, size_t piece) {
  sendpool::AuthLineParser parser;
  Outcome outcome;
  for (size_t i = 0; i < bytes.size(); i += piece) {
    sendpool::Status status = parser.feed(bytes.substr(i, piece), outcome.lines);
    if (!status) {
      outcome.ok = false;
      outcome.error = status.error().message;
      break;
    }
  }
  return outcome;
}

bool is_decimal(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// `text` is `lines` lines, each ending in LF, with `tabs` TABs in all, and no CR or NUL.
void check_reply(const std::string& text, long lines, long tabs) {
  check(!text.empty() && text.back() == '\n', "reply does not end with LF");
  check(std::count(text.begin(), text.end(), '\n') == lines, "reply has a stray LF");
  check(std::count(text.begin(), text.end(), '\t') == tabs, "reply has a stray TAB");
  check(text.find('\r') == std::string::npos && text.find('\0') == std::string::npos,
        "reply has CR or NUL");
}

void check_command(const std::string& line) {
  auto command = sendpool::parse_auth_command(line);
  if (!command) {
    check(!command.error().message.empty(), "empty error message");
    return;
  }
  const AuthCommand& c = *command;
  if (c.kind == AuthCommandKind::kAuth || c.kind == AuthCommandKind::kCont ||
      c.kind == AuthCommandKind::kCpid)
    check(is_decimal(c.id) && c.id.size() <= sendpool::kMaxAuthIdDigits, "bad id");
  if (c.kind == AuthCommandKind::kAuth) {
    check(!c.mechanism.empty(), "empty mechanism");
    check(std::none_of(c.mechanism.begin(), c.mechanism.end(),
                       [](char ch) { return ch >= 'a' && ch <= 'z'; }),
          "mechanism not upper-cased");
    check(c.params.size() <= sendpool::kMaxAuthParameters, "too many parameters");
    for (const auto& [name, value] : c.params) {
      check(!name.empty(), "empty parameter name");
      check(!(name == "resp" && !value.empty()), "resp= left among the parameters");
      check(name.find('\t') == std::string::npos && value.find('\t') == std::string::npos,
            "TAB inside a field");
    }
  }
  if (c.kind == AuthCommandKind::kCont) check(c.response.has_value(), "CONT without data");
  if (c.response) check(c.response->find('\t') == std::string::npos, "TAB inside the response");
}

void check_plain(std::string decoded) {
  std::replace(decoded.begin(), decoded.end(), '\t', '\0');
  auto credentials = sendpool::parse_sasl_plain(decoded);
  if (!credentials) return;
  check(!credentials->authcid.empty() && !credentials->password.empty(), "empty PLAIN field");
  std::string joined = credentials->authzid;
  joined.push_back('\0');
  joined += credentials->authcid;
  joined.push_back('\0');
  joined += credentials->password;
  check(joined == decoded, "PLAIN fields do not join back");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = data[0] % 32 + 1;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  Outcome whole = run(bytes, bytes.size() + 1);
  Outcome pieces = run(bytes, piece);
  check(whole.ok == pieces.ok && whole.error == pieces.error, "split feeding changes the result");
  check(whole.lines == pieces.lines, "split feeding changes lines");

  for (const std::string& line : whole.lines) {
    check(line.size() <= sendpool::kMaxAuthLineLength, "line too long");
    check(line.find('\n') == std::string::npos && line.find('\0') == std::string::npos,
          "LF or NUL inside a line");
    check_command(line);
    check_plain(line);
  }
  // The raw input, too, may hold LF and NUL that the line parser would have refused.
  check_command(std::string(bytes));
  check_plain(std::string(bytes));

  std::string text(bytes.substr(0, 200));
  std::string other(bytes.size() > 200 ? bytes.substr(200, 200) : bytes);
  check_reply(sendpool::auth_handshake(size, size * 31, text), 7, 9);
  check_reply(sendpool::auth_ok(text, other), 1, 2);
  check_reply(sendpool::auth_fail(text, other), 1, other.empty() ? 1 : 2);
  check_reply(sendpool::auth_cont(text, other), 1, 2);
  return 0;
}
