#include "policyd/auth_connection.h"

#include <fmt/format.h>
#include <unistd.h>

#include "core/crypto/hmac.h"
#include "core/proto/base64.h"

namespace sendpool::policyd {
namespace {

constexpr std::string_view kFailReason = "authentication failed";

std::string cookie() {
  auto bytes = random_bytes(16);
  std::string hex;
  if (bytes)
    for (unsigned char c : *bytes)
      hex += fmt::format("{:02x}", c);
  return hex;
}

std::string param(const AuthCommand& c, std::string_view name) {
  for (const auto& [k, v] : c.params)
    if (k == name) return v;
  return {};
}

}  // namespace

AuthConnection::AuthConnection(std::unique_ptr<ByteStream> stream, ConnectionSlot slot,
                               const Logger& log, AuthService& service, unsigned long cuid)
    : Connection(std::move(stream), std::move(slot), log, "auth"), service_(service), cuid_(cuid) {}

void AuthConnection::on_open() {
  send(auth_handshake(static_cast<unsigned long>(::getpid()), cuid_, cookie()));
}

Status AuthConnection::on_data(std::string_view bytes) {
  std::vector<std::string> lines;
  Status fed = parser_.feed(bytes, lines);
  for (const auto& line : lines)
    SENDPOOL_TRY(on_line(line));
  return fed;
}

Status AuthConnection::on_line(const std::string& line) {
  SENDPOOL_ASSIGN_OR_RETURN(AuthCommand command, parse_auth_command(line));
  switch (command.kind) {
    case AuthCommandKind::kVersion:
      if (command.major != 1)
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("unsupported auth protocol version {}", command.major));
      version_seen_ = true;
      return ok_status();
    case AuthCommandKind::kCpid:
      return ok_status();
    case AuthCommandKind::kAuth:
      if (!version_seen_) return make_error(ErrorCode::kInvalidArgument, "AUTH before VERSION");
      if (pending_.size() >= kMaxPendingAuthRequests)
        return make_error(ErrorCode::kInvalidArgument, "too many authentications in progress");
      start_auth(command);
      return ok_status();
    case AuthCommandKind::kCont:
      continue_auth(command);
      return ok_status();
  }
  return ok_status();
}

void AuthConnection::start_auth(const AuthCommand& command) {
  Pending p{command.mechanism, {}, param(command, "rip")};
  if (p.mechanism != "PLAIN" && p.mechanism != "LOGIN") {
    send(auth_fail(command.id, "unsupported mechanism"));
    return;
  }
  if (!command.response) {
    // No initial response: ask for it (PLAIN: empty challenge; LOGIN: "Username:").
    send(auth_cont(command.id, p.mechanism == "PLAIN" ? "" : kLoginUsernameChallenge));
    pending_[command.id] = std::move(p);
    return;
  }
  auto decoded = base64_decode(*command.response);
  if (!decoded) {
    send(auth_fail(command.id, kFailReason));
    return;
  }
  step(command.id, std::move(p), *decoded);
}

void AuthConnection::continue_auth(const AuthCommand& command) {
  auto it = pending_.find(command.id);
  if (it == pending_.end()) {
    send(auth_fail(command.id, kFailReason));
    return;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  auto decoded = base64_decode(command.response.value_or(""));
  if (!decoded) {
    send(auth_fail(command.id, kFailReason));
    return;
  }
  step(command.id, std::move(p), *decoded);
}

void AuthConnection::step(const std::string& id, Pending p, const std::string& decoded) {
  if (p.mechanism == "PLAIN") {
    auto creds = parse_sasl_plain(decoded);
    // Acting as someone else (an authzid other than the login) is not offered.
    if (!creds || (!creds->authzid.empty() && creds->authzid != creds->authcid)) {
      send(auth_fail(id, kFailReason));
      return;
    }
    finish(id, creds->authcid, creds->password, p.client);
    return;
  }
  if (p.username.empty()) {  // LOGIN, first answer: the username
    if (decoded.empty()) {
      send(auth_fail(id, kFailReason));
      return;
    }
    p.username = decoded;
    send(auth_cont(id, kLoginPasswordChallenge));
    pending_[id] = std::move(p);
    return;
  }
  finish(id, p.username, decoded, p.client);
}

void AuthConnection::finish(const std::string& id, const std::string& user,
                            const std::string& password, const std::string& client) {
  auto self = std::static_pointer_cast<AuthConnection>(shared_from_this());
  service_.verify(user, password, client, [self, id](std::optional<std::string> account) {
    self->send(account ? auth_ok(id, *account) : auth_fail(id, kFailReason));
  });
}

}  // namespace sendpool::policyd
