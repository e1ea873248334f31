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
#include "core/store/routing.h"

namespace sendpool::policyd {

inline constexpr std::string_view kRouteTableName = "route";

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
