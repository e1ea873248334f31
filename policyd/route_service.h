// RouteService: the socketmap table behind sender_dependent_default_transport_maps.
//
// The key is the envelope sender. A valid return-path token (MAC-checked) names the account;
// the answer is its current pool's transport, "transport:" or "transport:nexthop" when the
// pool has a fixed next hop; an account with no pool yet gets the configured default pool of
// its category. Unknown senders, forged tokens, "<>" and the "*" probe get NOTFOUND (Postfix
// then uses default_transport). A store failure is TEMP, so Postfix defers instead of
// misrouting.
// Thread-safety: event loop thread only (reads the store in short transactions).
#pragma once

#include <string>

#include "core/base/log.h"
#include "core/daemon/config.h"
#include "core/model/entities.h"
#include "core/proto/socketmap.h"
#include "core/store/lmdb_env.h"

namespace sendpool::policyd {

inline constexpr std::string_view kRouteTableName = "route";

// Where an account's mail leaves from, and why (shared with `sendpoolctl route show`).
struct Route {
  std::string pool;       // empty: no pool at all
  std::string transport;  // the socketmap answer, e.g. "pool_tx:" ; empty when NOTFOUND
  bool default_pool = false;
};

// The route of `account` given its pool assignment and the configured defaults.
Result<Route> route_for_account(const ReadTxn& txn, const Account& account,
                                const Config::Policyd& defaults);

class RouteService {
 public:
  RouteService(LmdbEnv& env, const Config& config, std::string secret, const Logger& log);

  // The reply payload (not yet a netstring) for one request payload.
  std::string lookup(std::string_view payload);

 private:
  LmdbEnv& env_;
  const Config& config_;
  std::string secret_;
  const Logger& log_;
};

}  // namespace sendpool::policyd
