// The Dovecot SASL client protocol v1.1, server side, as Postfix smtpd speaks it
// (`smtpd_sasl_type = dovecot`; Postfix xsasl_dovecot_server.c).
//
// Lines end with LF and fields are separated by TAB; no field can hold a TAB or LF. The exchange:
//   client  VERSION\t1\t0            CPID\t<pid>
//   server  auth_handshake(): VERSION, MECH lines, SPID, CUID, COOKIE, DONE
//   client  AUTH\t<id>\t<MECH>\tservice=smtp\tnologin\tlip=..\trip=..[\tsecured][\tresp=<b64>]
//   server  auth_cont() ... client CONT\t<id>\t<b64> ... server auth_ok() or auth_fail()
// Postfix reuses one connection for many AUTH requests with increasing ids. Pitfalls honoured
// here: MECH lines come before SPID (SPID first means "wrong socket" to Postfix), CONT always has
// its third field even when empty, OK always carries user=.
//
// AuthLineParser splits the stream into lines; parse_auth_command reads one line;
// parse_sasl_plain reads a decoded PLAIN response. The formatters build server lines.
// Ownership: an AuthLineParser belongs to one connection. Thread-safety: the parser is used by
// one thread at a time; everything else is pure.
// Security: every byte comes from smtpd on a socket others may reach, and the SASL data from the
// SMTP client itself. Lines are bounded (kMaxAuthLineLength) before buffering, NUL bytes are
// refused, ids must be digits, error messages never repeat the input. Text put into replies
// (ids, user names, reasons, the cookie) has TAB, CR, LF and NUL replaced by ' ', so it cannot
// add fields or lines; callers should refuse such user names before authenticating anyway.
// A FAIL reason is shown to the SMTP client: never say whether the user exists.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/result.h"

namespace sendpool {

// One line without its LF; Dovecot's own limit for a client line is 8 KiB.
inline constexpr size_t kMaxAuthLineLength = 8192;
// Fields after AUTH's id and mechanism; Postfix sends at most six.
inline constexpr size_t kMaxAuthParameters = 32;
// A request id or process id: an unsigned 32-bit number in decimal.
inline constexpr size_t kMaxAuthIdDigits = 10;

// The conventional LOGIN challenges, base64 of "Username:" and "Password:".
inline constexpr std::string_view kLoginUsernameChallenge = "VXNlcm5hbWU6";
inline constexpr std::string_view kLoginPasswordChallenge = "UGFzc3dvcmQ6";

// Incremental line splitter for the auth socket: LF-terminated lines, bounded.
class AuthLineParser {
 public:
  // Consumes `bytes`, appending each complete line (without its LF, and without a CR just before
  // it) to `lines`. kInvalidArgument for a line longer than kMaxAuthLineLength or a NUL byte;
  // lines completed before the offending byte are still appended. After an error the parser
  // stays failed and every later feed returns the same error.
  Status feed(std::string_view bytes, std::vector<std::string>& lines);

  // True while a line is partially received (false after an error).
  bool mid_line() const;

 private:
  Status fail(std::string message);

  std::string line_;
  std::optional<Error> error_;
};

enum class AuthCommandKind { kVersion, kCpid, kAuth, kCont };

struct AuthCommand {
  AuthCommandKind kind;
  unsigned major = 0, minor = 0;  // VERSION
  std::string id;                 // AUTH, CONT: the request id; CPID: the client pid (digits)
  std::string mechanism;          // AUTH: upper-cased, e.g. "PLAIN"
  // AUTH: service=smtp, rip=…, lip=…; flags like "nologin"/"secured" with empty value. resp= is
  // not among them: it goes to `response`.
  std::vector<std::pair<std::string, std::string>> params;
  // AUTH resp= (base64 text, not decoded) / CONT data (base64 text, may be empty).
  std::optional<std::string> response;

  bool operator==(const AuthCommand&) const = default;
};

// Parses one line (without LF). Unknown commands → kInvalidArgument "unknown command". Fields
// split on TAB. VERSION needs a major and minor (extra fields ignored, as Dovecot does); CPID a
// pid; AUTH an id, a mechanism ([A-Za-z0-9_-]) and non-empty parameters; CONT exactly an id and
// its data field.
Result<AuthCommand> parse_auth_command(std::string_view line);

// The server handshake, MECH lines BEFORE SPID: "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\n
// MECH\tLOGIN\tplaintext\nSPID\t<pid>\nCUID\t<cuid>\nCOOKIE\t<32 hex>\nDONE\n".
std::string auth_handshake(unsigned long spid, unsigned long cuid, std::string_view cookie_hex);
// "OK\t<id>\tuser=<user>\n": success; `user` becomes Postfix's sasl_username.
std::string auth_ok(std::string_view id, std::string_view user);
// "FAIL\t<id>[\treason=<reason>]\n": the reason is shown to the SMTP client.
std::string auth_fail(std::string_view id, std::string_view reason = "");
// "CONT\t<id>\t<challenge>\n" — the third field is always present, even empty.
std::string auth_cont(std::string_view id, std::string_view base64_challenge);

// SASL PLAIN message (already base64-decoded): authzid \0 authcid \0 password.
struct PlainCredentials {
  std::string authzid, authcid, password;

  bool operator==(const PlainCredentials&) const = default;
};
// Rejects missing NULs, empty authcid, empty password, embedded extra NULs.
Result<PlainCredentials> parse_sasl_plain(std::string_view decoded);

}  // namespace sendpool
