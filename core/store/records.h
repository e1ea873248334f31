// Encoding and decoding of every stored record (the values of the tables in tables.h).
//
// Each record starts with its own version byte (kRecordVersion below). Decoders accept every
// version up to the one they know, refuse newer ones (kSchemaTooNew) and reject truncated or
// trailing bytes (kCorrupt), so a damaged record is reported, never half-read.
// Thread-safety: pure.
#pragma once

#include <string>
#include <string_view>

#include "core/base/result.h"
#include "core/model/entities.h"

namespace sendpool {

inline constexpr uint8_t kRecordVersion = 1;

std::string encode(const Customer& v);
std::string encode(const Plan& v);
std::string encode(const Account& v);
std::string encode(const Domain& v);
std::string encode(const Pool& v);
std::string encode(const SuppressionEntry& v);
std::string encode(const DayCounters& v);
std::string encode(const Reputation& v);
std::string encode(const Charge& v);

Result<Customer> decode_customer(std::string_view bytes);
Result<Plan> decode_plan(std::string_view bytes);
Result<Account> decode_account(std::string_view bytes);
Result<Domain> decode_domain(std::string_view bytes);
Result<Pool> decode_pool(std::string_view bytes);
Result<SuppressionEntry> decode_suppression(std::string_view bytes);
Result<DayCounters> decode_counters(std::string_view bytes);
Result<Reputation> decode_reputation(std::string_view bytes);
Result<Charge> decode_charge(std::string_view bytes);

}  // namespace sendpool
