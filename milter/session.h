// Session: the milter's decisions for one SMTP connection, as a plain state machine.
//
// libmilter_glue.cc feeds it the callbacks (no libmilter types cross into here):
//   mail     the account ({auth_authen}, or the client address it allows) must exist and be
//            enabled, and the envelope sender's domain must be linked to it (550 5.7.1)
//   rcpt     each recipient kept exactly as given, noting whether it is suppressed
//   headers  collected; at end of headers exactly one From: with one mailbox whose domain is
//            linked (Sender: likewise when present), else 550 5.7.1 at end of message; the
//            signatures start here, fed every header plus the ones we add
//   body     streamed into the signatures
//   eom      drop suppressed recipients (discard when none is left), rewrite the envelope
//            sender to the signed return path, add Feedback-ID (and List-Unsubscribe for
//            promotional mail without one), and add the domain's and the platform's DKIM
//            signatures (plus Ed25519 ones when keys exist)
// Any store or signing failure is a temporary failure: never an unsigned message.
// Thread-safety: one Session per connection; libmilter serialises a connection's callbacks.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "milter/catalog.h"
#include "milter/signer.h"

namespace sendpool::milter {

// Bounds on what one message may make us hold in memory.
inline constexpr size_t kMaxHeaders = 1000;
inline constexpr size_t kMaxHeaderBytes = 1024 * 1024;
inline constexpr size_t kMaxRecipients = 10000;

// The platform side of every message: its signing keys and return-path settings.
struct PlatformSettings {
  std::vector<SigningKey> keys;  // the platform's own signatures (d= platform.dkim_domain)
  std::string return_path_domain;
  std::string token_secret;
  std::string platform_id;
  std::string unsubscribe_url;  // empty: mailto only
};

enum class Action { kContinue, kReject, kTempfail, kDiscard };

struct Reply {
  Action action = Action::kContinue;
  std::string rcode;  // "550"
  std::string xcode;  // "5.7.1"
  std::string text;

  static Reply go() { return Reply{}; }
  static Reply reject(std::string rcode, std::string xcode, std::string text) {
    return Reply{Action::kReject, std::move(rcode), std::move(xcode), std::move(text)};
  }
  static Reply tempfail(std::string text) {
    return Reply{Action::kTempfail, "451", "4.3.0", std::move(text)};
  }
};

// What to do to the message at its end, in order: delete recipients, change the sender,
// append headers, insert the signatures at the top.
struct EomChanges {
  Reply reply;
  std::vector<std::string> delete_recipients;  // exactly as received in RCPT TO
  std::optional<std::string> new_sender;
  std::vector<std::pair<std::string, std::string>> add_headers;
  std::vector<std::string> signatures;  // DKIM-Signature values
};

class Session {
 public:
  Session(Catalog& catalog, SignerFactory& signer, const PlatformSettings& platform,
          const Clock& clock, const Logger& log);

  void connect(std::string client_address);
  Reply mail(std::string_view sender_arg, std::string_view auth_authen);
  Reply rcpt(std::string_view recipient_arg);
  Reply header(std::string_view name, std::string_view value);
  Reply end_of_headers();
  Reply body(std::string_view chunk);
  EomChanges end_of_message(std::string_view queue_id);
  // The message ended early (RSET, QUIT, a rejection elsewhere).
  void abort();

 private:
  struct Recipient {
    std::string arg;
    bool suppressed = false;
  };
  Reply check_author_headers();
  Status start_signatures(const std::string& from_domain);
  void fail(std::string why);

  Catalog& catalog_;
  SignerFactory& signer_;
  const PlatformSettings& platform_;
  const Clock& clock_;
  const Logger& log_;
  std::string client_;

  // Per message.
  std::optional<Account> account_;
  std::string sender_;
  std::vector<Recipient> recipients_;
  std::vector<std::pair<std::string, std::string>> headers_;
  size_t header_bytes_ = 0;
  std::optional<Reply> verdict_at_eom_;  // a rejection or failure decided before EOM
  std::vector<std::pair<std::string, std::string>> added_;
  std::string new_sender_;
  std::vector<std::unique_ptr<SignJob>> jobs_;
  std::vector<std::string> job_names_;  // "d=… s=…" for the log
};

}  // namespace sendpool::milter
