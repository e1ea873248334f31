// Routing: which sending pool, and so which Postfix transport, carries an account's mail.
//
// The account's assigned pool when it has one (assignment follows reputation), otherwise the
// configured default pool of its category. Shared by policyd's route listener and by
// `sendpoolctl route show`, so the operator sees exactly what Postfix is told.
// Thread-safety: as the transaction passed in.
#pragma once

#include <string>
#include <string_view>

#include "core/base/result.h"
#include "core/model/entities.h"
#include "core/store/lmdb_env.h"

namespace sendpool {

struct Route {
  std::string pool;           // empty: no pool at all (Postfix uses its default_transport)
  std::string transport;      // "transport:" or "transport:nexthop"; empty with no pool
  bool default_pool = false;  // the category's default, not an assignment
};

struct DefaultPools {
  std::string_view transactional;
  std::string_view promotional;
};

Result<Route> route_for_account(const ReadTxn& txn, const Account& account,
                                const DefaultPools& defaults);

}  // namespace sendpool
