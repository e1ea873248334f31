// Available messages of an account, computed from the store at one instant.
//
// Joins the pure rule (core/model/billing.h) with what the store knows: the account's
// counters over its current billing period (monthly and free plans) or its prepaid package.
// Thread-safety: as the transaction passed in.
#pragma once

#include "core/base/result.h"
#include "core/model/billing.h"
#include "core/store/lmdb_env.h"

namespace sendpool {

Result<Availability> availability(const ReadTxn& txn, const Account& account, const Plan& plan,
                                  TimePoint now);

}  // namespace sendpool
