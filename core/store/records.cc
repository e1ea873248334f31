#include "core/store/records.h"

#include <fmt/format.h>

#include "core/store/codec.h"

namespace sendpool {
namespace {

int64_t secs(TimePoint t) {
  return t.time_since_epoch().count();
}
TimePoint time_from(int64_t s) {
  return TimePoint{std::chrono::seconds{s}};
}
int64_t days_of(Date d) {
  return d.time_since_epoch().count();
}
Date date_from(int64_t d) {
  return Date{std::chrono::days{d}};
}

// Checks the reader after decoding a record of type `what`; `fields_ok` is false when a
// decoded enumerator or count was out of range.
template <typename T>
Result<T> finish(const RecordReader& r, T value, const char* what, bool fields_ok = true) {
  if (r.version() > kRecordVersion)
    return make_error(ErrorCode::kSchemaTooNew,
                      fmt::format("{} record has version {}, newer than this sendpool ({})", what,
                                  r.version(), kRecordVersion));
  if (r.version() == 0 || !r.finished() || !fields_ok)
    return make_error(ErrorCode::kCorrupt, fmt::format("{} record is damaged", what));
  return value;
}

bool in_range(uint64_t v, uint64_t max) {
  return v <= max;
}

// Reads a varint into a 32-bit field. A larger value marks the record damaged (`fits` turns
// false) rather than being silently truncated into a different limit.
uint32_t read_u32(RecordReader& r, bool& fits) {
  uint64_t v = r.u64();
  if (v > UINT32_MAX) fits = false;
  return static_cast<uint32_t>(v);
}

}  // namespace

std::string encode(const Customer& v) {
  return RecordWriter(kRecordVersion).str(v.name).u64(v.max_accounts).i64(secs(v.created)).take();
}

Result<Customer> decode_customer(std::string_view bytes) {
  RecordReader r(bytes);
  Customer v;
  v.name = r.str();
  bool fits = true;
  v.max_accounts = read_u32(r, fits);
  v.created = time_from(r.i64());
  return finish(r, std::move(v), "customer", fits);
}

std::string encode(const Plan& v) {
  return RecordWriter(kRecordVersion)
      .str(v.name)
      .u64(static_cast<uint64_t>(v.kind))
      .u64(v.messages)
      .u64(v.hourly_limit)
      .u64(v.max_recipients)
      .u64(v.max_size)
      .u64(v.valid_days)
      .take();
}

Result<Plan> decode_plan(std::string_view bytes) {
  RecordReader r(bytes);
  Plan v;
  v.name = r.str();
  uint64_t kind = r.u64();
  v.kind = static_cast<PlanKind>(kind);
  v.messages = r.u64();
  bool fits = true;
  v.hourly_limit = read_u32(r, fits);
  v.max_recipients = read_u32(r, fits);
  v.max_size = r.u64();
  v.valid_days = read_u32(r, fits);
  return finish(r, std::move(v), "plan", fits && in_range(kind, 2));
}

std::string encode(const Account& v) {
  RecordWriter w(kRecordVersion);
  w.u64(v.id).str(v.username).str(v.password_hash).str(v.customer).str(v.plan);
  w.u64(static_cast<uint64_t>(v.type)).u64(static_cast<uint64_t>(v.status)).str(v.status_reason);
  w.u64(v.allowed_ips.size());
  for (const auto& ip : v.allowed_ips)
    w.str(ip.text);
  w.str(v.bounce_address).u64(v.max_domains).i64(days_of(v.start));
  w.u64(v.prepaid_remaining).boolean(v.prepaid_expires.has_value());
  w.i64(v.prepaid_expires ? days_of(*v.prepaid_expires) : 0);
  w.str(v.pool).i64(secs(v.created));
  return w.take();
}

Result<Account> decode_account(std::string_view bytes) {
  RecordReader r(bytes);
  Account v;
  v.id = r.u64();
  v.username = r.str();
  v.password_hash = r.str();
  v.customer = r.str();
  v.plan = r.str();
  uint64_t type = r.u64(), status = r.u64();
  v.type = static_cast<AccountType>(type);
  v.status = static_cast<AccountStatus>(status);
  v.status_reason = r.str();
  uint64_t n_ips = r.u64();
  // Each entry takes at least one byte, so a count beyond the input is corrupt.
  bool count_ok = n_ips <= bytes.size();
  for (uint64_t i = 0; i < n_ips && r.ok() && count_ok; ++i)
    v.allowed_ips.push_back(IpRange{r.str()});
  v.bounce_address = r.str();
  bool fits = true;
  v.max_domains = read_u32(r, fits);
  v.start = date_from(r.i64());
  v.prepaid_remaining = r.u64();
  bool has_expiry = r.boolean();
  int64_t expires = r.i64();
  if (has_expiry) v.prepaid_expires = date_from(expires);
  v.pool = r.str();
  v.created = time_from(r.i64());
  return finish(r, std::move(v), "account",
                fits && count_ok && in_range(type, 1) && in_range(status, 3));
}

std::string encode(const Domain& v) {
  RecordWriter w(kRecordVersion);
  w.str(v.name).i64(secs(v.created)).u64(v.keys.size());
  for (const auto& k : v.keys) {
    w.str(k.selector).u64(static_cast<uint64_t>(k.type)).str(k.private_key_pem);
    w.str(k.public_key_b64).i64(secs(k.created)).boolean(k.active);
  }
  return w.take();
}

Result<Domain> decode_domain(std::string_view bytes) {
  RecordReader r(bytes);
  Domain v;
  v.name = r.str();
  v.created = time_from(r.i64());
  uint64_t n = r.u64();
  bool enums_ok = n <= bytes.size();
  for (uint64_t i = 0; i < n && r.ok() && enums_ok; ++i) {
    DkimKey k;
    k.selector = r.str();
    uint64_t type = r.u64();
    enums_ok = in_range(type, 1);
    k.type = static_cast<KeyType>(type);
    k.private_key_pem = r.str();
    k.public_key_b64 = r.str();
    k.created = time_from(r.i64());
    k.active = r.boolean();
    v.keys.push_back(std::move(k));
  }
  return finish(r, std::move(v), "domain", enums_ok);
}

std::string encode(const Pool& v) {
  return RecordWriter(kRecordVersion)
      .str(v.name)
      .u64(static_cast<uint64_t>(v.category))
      .u64(v.min_score)
      .str(v.transport)
      .str(v.bind_ipv4)
      .str(v.bind_ipv6)
      .str(v.helo)
      .str(v.nexthop)
      .take();
}

Result<Pool> decode_pool(std::string_view bytes) {
  RecordReader r(bytes);
  Pool v;
  v.name = r.str();
  uint64_t category = r.u64();
  v.category = static_cast<AccountType>(category);
  bool fits = true;
  v.min_score = read_u32(r, fits);
  v.transport = r.str();
  v.bind_ipv4 = r.str();
  v.bind_ipv6 = r.str();
  v.helo = r.str();
  v.nexthop = r.str();
  return finish(r, std::move(v), "pool", fits && in_range(category, 1));
}

std::string encode(const SuppressionEntry& v) {
  return RecordWriter(kRecordVersion)
      .str(v.address)
      .u64(static_cast<uint64_t>(v.reason))
      .i64(secs(v.time))
      .str(v.detail)
      .take();
}

Result<SuppressionEntry> decode_suppression(std::string_view bytes) {
  RecordReader r(bytes);
  SuppressionEntry v;
  v.address = r.str();
  uint64_t reason = r.u64();
  v.reason = static_cast<SuppressionReason>(reason);
  v.time = time_from(r.i64());
  v.detail = r.str();
  return finish(r, std::move(v), "suppression", in_range(reason, 3));
}

std::string encode(const DayCounters& v) {
  return RecordWriter(kRecordVersion)
      .u64(v.accepted)
      .u64(v.enqueued)
      .u64(v.delivered)
      .u64(v.bounced)
      .u64(v.suppressed)
      .u64(v.complaints)
      .u64(v.unsubscribes)
      .u64(v.opens)
      .u64(v.clicks)
      .take();
}

Result<DayCounters> decode_counters(std::string_view bytes) {
  RecordReader r(bytes);
  DayCounters v;
  v.accepted = r.u64();
  v.enqueued = r.u64();
  v.delivered = r.u64();
  v.bounced = r.u64();
  v.suppressed = r.u64();
  v.complaints = r.u64();
  v.unsubscribes = r.u64();
  v.opens = r.u64();
  v.clicks = r.u64();
  return finish(r, std::move(v), "counters");
}

std::string encode(const Reputation& v) {
  return RecordWriter(kRecordVersion)
      .f64(v.score)
      .f64(v.bounce_rate)
      .f64(v.complaint_rate)
      .f64(v.unsubscribe_rate)
      .f64(v.engagement_rate)
      .i64(secs(v.computed))
      .take();
}

Result<Reputation> decode_reputation(std::string_view bytes) {
  RecordReader r(bytes);
  Reputation v;
  v.score = r.f64();
  v.bounce_rate = r.f64();
  v.complaint_rate = r.f64();
  v.unsubscribe_rate = r.f64();
  v.engagement_rate = r.f64();
  v.computed = time_from(r.i64());
  return finish(r, std::move(v), "reputation");
}

std::string encode(const Charge& v) {
  return RecordWriter(kRecordVersion)
      .str(v.queue_id)
      .u64(v.account)
      .i64(v.day)
      .u64(v.charged)
      .u64(v.suppressed)
      .i64(secs(v.time))
      .u64(v.prepaid_debited)
      .take();
}

Result<Charge> decode_charge(std::string_view bytes) {
  RecordReader r(bytes);
  Charge v;
  v.queue_id = r.str();
  v.account = r.u64();
  v.day = static_cast<int>(r.i64());
  uint64_t charged = r.u64(), suppressed = r.u64();
  v.charged = static_cast<uint32_t>(charged);
  v.suppressed = static_cast<uint32_t>(suppressed);
  v.time = time_from(r.i64());
  uint64_t debited = r.u64();
  v.prepaid_debited = static_cast<uint32_t>(debited);
  return finish(r, std::move(v), "charge",
                charged <= UINT32_MAX && suppressed <= UINT32_MAX && debited <= charged);
}

}  // namespace sendpool
