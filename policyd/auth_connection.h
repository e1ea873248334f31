// AuthConnection: one Dovecot-auth connection from Postfix smtpd (smtpd_sasl_type = dovecot).
//
// On connect we send the handshake (VERSION, MECH lines, then SPID, CUID, COOKIE, DONE: MECH
// must come before SPID for Postfix). Then any number of AUTH requests, each with its id:
// PLAIN (initial response, or an empty CONT asking for it) and LOGIN (Username:/Password:
// challenges). Success is OK with user=<account>; every failure is the same FAIL, which never
// tells whether the user exists.
// Security: see Connection; lines are bounded, requests in progress are bounded.
// Thread-safety: event loop thread only.
#pragma once

#include <map>

#include "core/proto/dovecot_auth.h"
#include "policyd/auth_service.h"
#include "policyd/connection.h"

namespace sendpool::policyd {

// AUTH requests awaiting a CONT on one connection; Postfix has one at a time.
inline constexpr size_t kMaxPendingAuthRequests = 8;

class AuthConnection final : public Connection {
 public:
  AuthConnection(std::unique_ptr<ByteStream> stream, ConnectionSlot slot, const Logger& log,
                 AuthService& service, unsigned long cuid);

 private:
  struct Pending {
    std::string mechanism;
    std::string username;  // LOGIN: once given
    std::string client;
  };

  void on_open() override;
  Status on_data(std::string_view bytes) override;
  Status on_line(const std::string& line);
  void start_auth(const AuthCommand& command);
  void continue_auth(const AuthCommand& command);
  // A decoded client response for request `id` in state `p`.
  void step(const std::string& id, Pending p, const std::string& decoded);
  void finish(const std::string& id, const std::string& user, const std::string& password,
              const std::string& client);

  AuthService& service_;
  unsigned long cuid_;
  AuthLineParser parser_;
  bool version_seen_ = false;
  std::map<std::string, Pending> pending_;
};

}  // namespace sendpool::policyd
