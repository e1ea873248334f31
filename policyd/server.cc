#include "policyd/server.h"

#include "policyd/auth_connection.h"
#include "policyd/policy_connection.h"
#include "policyd/route_connection.h"

namespace sendpool::policyd {

Server::Server(const Config& config, LmdbEnv& env, std::string token_secret, const Logger& log)
    : config_(config), env_(env), log_(log) {
  writer_ = std::make_unique<ChargeWriter>(env_, io_, log_);
  policy_ = std::make_unique<PolicyService>(env_, *writer_, clock_, log_);
  route_ = std::make_unique<RouteService>(env_, config_, std::move(token_secret), log_);
  auth_ = std::make_unique<AuthService>(env_, io_, clock_, log_);
}

Server::~Server() {
  listeners_.clear();
  // The writer finishes submitted charges; their completions are dropped with the loop.
  writer_.reset();
}

Status Server::open_listeners() {
  listeners_.push_back(std::make_unique<Listener>(
      io_, config_.policyd.policy_listen, "policy", log_,
      [this](std::unique_ptr<ByteStream> s, ConnectionSlot slot) {
        std::make_shared<PolicyConnection>(std::move(s), std::move(slot), log_, *policy_)->start();
      }));
  listeners_.push_back(std::make_unique<Listener>(
      io_, config_.policyd.route_listen, "route", log_,
      [this](std::unique_ptr<ByteStream> s, ConnectionSlot slot) {
        std::make_shared<RouteConnection>(std::move(s), std::move(slot), log_, *route_)->start();
      }));
  listeners_.push_back(std::make_unique<Listener>(
      io_, config_.policyd.auth_listen, "auth", log_,
      [this](std::unique_ptr<ByteStream> s, ConnectionSlot slot) {
        std::make_shared<AuthConnection>(std::move(s), std::move(slot), log_, *auth_, next_cuid_++)
            ->start();
      }));
  for (auto& l : listeners_)
    SENDPOOL_TRY(l->open());
  return ok_status();
}

void Server::housekeeping() {
  timer_.expires_after(kHousekeepingInterval);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    policy_->expire_stale();
    if (auto dead = env_.clear_stale_readers(); dead && *dead > 0)
      log_.warning("cleared {} store reader slot(s) left by dead processes", *dead);
    housekeeping();
  });
}

void Server::run() {
  for (auto& l : listeners_)
    l->start();
  signals_.async_wait([this](const boost::system::error_code&, int signal) {
    log_.info("signal {}: stopping", signal);
    for (auto& l : listeners_)
      l->stop();
    io_.stop();
  });
  housekeeping();
  log_.info("listening: policy {}, route {}, auth {}", config_.policyd.policy_listen.text,
            config_.policyd.route_listen.text, config_.policyd.auth_listen.text);
  io_.run();
}

void Server::run_stdio() {
  // The signal wait keeps the loop running, so the end of the connection (end of input, or
  // garbage) must stop it: its slot is released when the connection is gone, i.e. after any
  // charge it was waiting for has been committed. The loop holds the only references.
  ConnectionSlot slot(nullptr, [this](void*) { io_.stop(); });
  std::make_shared<PolicyConnection>(make_stdio_stream(io_), std::move(slot), log_, *policy_)
      ->start();
  signals_.async_wait([this](const boost::system::error_code&, int) { io_.stop(); });
  io_.run();
}

}  // namespace sendpool::policyd
