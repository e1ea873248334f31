#include "core/store/routing.h"

#include "core/store/tables.h"

namespace sendpool {

Result<Route> route_for_account(const ReadTxn& txn, const Account& account,
                                const DefaultPools& defaults) {
  Route route;
  std::optional<Pool> pool;
  if (!account.pool.empty()) {
    SENDPOOL_ASSIGN_OR_RETURN(pool, tables::get_pool(txn, account.pool));
  }
  if (!pool) {
    std::string_view fallback =
        account.type == AccountType::kTransactional ? defaults.transactional : defaults.promotional;
    if (fallback.empty()) return route;
    SENDPOOL_ASSIGN_OR_RETURN(pool, tables::get_pool(txn, fallback));
    if (!pool) return route;
    route.default_pool = true;
  }
  route.pool = pool->name;
  route.transport = pool->transport + ":" + pool->nexthop;
  return route;
}

}  // namespace sendpool
