// Server: sendpool-policyd's skeleton. One event loop (Boost.Asio) serves the three listeners
// (policy, route, auth); one writer thread commits charges (ChargeWriter); a small worker
// pool verifies password hashes (AuthService). SIGTERM/SIGINT stop accepting, let the writer
// finish what was submitted, and exit 0.
// Why Asio: one portable reactor for unix and TCP sockets, stdin/stdout (spawn mode),
// timers and signals, with completion handlers that keep the protocol classes free of
// epoll bookkeeping.
// Thread-safety: run() on the main thread; everything else is posted to its loop.
#pragma once

#include <boost/asio.hpp>
#include <memory>
#include <vector>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/daemon/config.h"
#include "core/store/lmdb_env.h"
#include "policyd/auth_service.h"
#include "policyd/charge_writer.h"
#include "policyd/listener.h"
#include "policyd/policy_service.h"
#include "policyd/route_service.h"

namespace sendpool::policyd {

// How often abandoned reservations and dead store readers are swept.
inline constexpr std::chrono::seconds kHousekeepingInterval{60};

class Server {
 public:
  Server(const Config& config, LmdbEnv& env, std::string token_secret, const Logger& log);
  ~Server();

  // Binds the three listeners; an error names the one that failed.
  Status open_listeners();
  // Serves until a stop signal.
  void run();
  // Serves one policy connection on stdin/stdout (spawn(8)) until end of input.
  void run_stdio();

 private:
  void housekeeping();

  const Config& config_;
  LmdbEnv& env_;
  const Logger& log_;
  SystemClock clock_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_{io_, SIGTERM, SIGINT};
  boost::asio::steady_timer timer_{io_};
  std::unique_ptr<ChargeWriter> writer_;
  std::unique_ptr<PolicyService> policy_;
  std::unique_ptr<RouteService> route_;
  std::unique_ptr<AuthService> auth_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  unsigned long next_cuid_ = 1;
};

}  // namespace sendpool::policyd
