#include "core/store/records.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/store/codec.h"

namespace sendpool {
namespace {

using std::chrono::days;
using std::chrono::seconds;

TimePoint at(int64_t s) {
  return TimePoint{seconds{s}};
}
Date day(int64_t d) {
  return Date{days{d}};
}

Customer sample_customer() {
  return Customer{"acme", 42, at(1700000000)};
}

Plan sample_plan() {
  Plan p;
  p.name = "gold";
  p.kind = PlanKind::kPrepaid;
  p.messages = 1'000'000'000'000;
  p.hourly_limit = 5000;
  p.max_recipients = 50;
  p.max_size = 10u << 20;
  p.valid_days = 90;
  return p;
}

Account sample_account() {
  Account a;
  a.id = 0x1234567890;
  a.username = "app@example.com";
  a.password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
  a.customer = "acme";
  a.plan = "gold";
  a.type = AccountType::kPromotional;
  a.status = AccountStatus::kPaused;
  a.status_reason = "complaint rate above 0.3%";
  a.allowed_ips = {IpRange{"192.0.2.0/24"}, IpRange{"2001:db8::/32"}};
  a.bounce_address = "bounces@example.com";
  a.max_domains = 7;
  a.start = day(19000);
  a.prepaid_remaining = 12345;
  a.prepaid_expires = day(19090);
  a.pool = "promo-a";
  a.created = at(1650000000);
  return a;
}

Domain sample_domain() {
  Domain d;
  d.name = "example.com";
  d.created = at(1600000000);
  d.keys.push_back(DkimKey{"s2023", KeyType::kRsa, "-----BEGIN PRIVATE KEY-----\nAAA\n", "MIIB",
                           at(1600000001), false});
  d.keys.push_back(DkimKey{"ed2024", KeyType::kEd25519, "-----BEGIN PRIVATE KEY-----\nBBB\n",
                           "11qY", at(1700000002), true});
  return d;
}

Pool sample_pool() {
  Pool p;
  p.name = "promo-a";
  p.category = AccountType::kPromotional;
  p.min_score = 80;
  p.transport = "smtp-promo-a";
  p.bind_ipv4 = "192.0.2.10";
  p.bind_ipv6 = "2001:db8::10";
  p.helo = "mta1.example.net";
  p.nexthop = "[127.0.0.1]:2526";
  return p;
}

SuppressionEntry sample_suppression() {
  return SuppressionEntry{"Bob@example.org", SuppressionReason::kComplaint, at(1710000000),
                          "arf from example.org"};
}

DayCounters sample_counters() {
  DayCounters c;
  c.accepted = 1;
  c.enqueued = 2;
  c.delivered = 3;
  c.bounced = 4;
  c.suppressed = 5;
  c.complaints = 6;
  c.unsubscribes = 7;
  c.opens = 8;
  c.clicks = std::numeric_limits<uint64_t>::max();
  return c;
}

Reputation sample_reputation() {
  return Reputation{87.5, 0.012, 0.0004, 0.003, 0.21, at(1720000000)};
}

void expect_same(const Customer& a, const Customer& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.max_accounts, b.max_accounts);
  EXPECT_EQ(a.created, b.created);
}

void expect_same(const Plan& a, const Plan& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.messages, b.messages);
  EXPECT_EQ(a.hourly_limit, b.hourly_limit);
  EXPECT_EQ(a.max_recipients, b.max_recipients);
  EXPECT_EQ(a.max_size, b.max_size);
  EXPECT_EQ(a.valid_days, b.valid_days);
}

void expect_same(const Account& a, const Account& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.username, b.username);
  EXPECT_EQ(a.password_hash, b.password_hash);
  EXPECT_EQ(a.customer, b.customer);
  EXPECT_EQ(a.plan, b.plan);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.status_reason, b.status_reason);
  ASSERT_EQ(a.allowed_ips.size(), b.allowed_ips.size());
  for (size_t i = 0; i < a.allowed_ips.size(); ++i)
    EXPECT_EQ(a.allowed_ips[i].text, b.allowed_ips[i].text);
  EXPECT_EQ(a.bounce_address, b.bounce_address);
  EXPECT_EQ(a.max_domains, b.max_domains);
  EXPECT_EQ(a.start, b.start);
  EXPECT_EQ(a.prepaid_remaining, b.prepaid_remaining);
  EXPECT_EQ(a.prepaid_expires, b.prepaid_expires);
  EXPECT_EQ(a.pool, b.pool);
  EXPECT_EQ(a.created, b.created);
}

void expect_same(const Domain& a, const Domain& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.created, b.created);
  ASSERT_EQ(a.keys.size(), b.keys.size());
  for (size_t i = 0; i < a.keys.size(); ++i) {
    EXPECT_EQ(a.keys[i].selector, b.keys[i].selector);
    EXPECT_EQ(a.keys[i].type, b.keys[i].type);
    EXPECT_EQ(a.keys[i].private_key_pem, b.keys[i].private_key_pem);
    EXPECT_EQ(a.keys[i].public_key_b64, b.keys[i].public_key_b64);
    EXPECT_EQ(a.keys[i].created, b.keys[i].created);
    EXPECT_EQ(a.keys[i].active, b.keys[i].active);
  }
}

void expect_same(const Pool& a, const Pool& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.category, b.category);
  EXPECT_EQ(a.min_score, b.min_score);
  EXPECT_EQ(a.transport, b.transport);
  EXPECT_EQ(a.bind_ipv4, b.bind_ipv4);
  EXPECT_EQ(a.bind_ipv6, b.bind_ipv6);
  EXPECT_EQ(a.helo, b.helo);
  EXPECT_EQ(a.nexthop, b.nexthop);
}

void expect_same(const SuppressionEntry& a, const SuppressionEntry& b) {
  EXPECT_EQ(a.address, b.address);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.detail, b.detail);
}

void expect_same(const DayCounters& a, const DayCounters& b) {
  EXPECT_EQ(a.accepted, b.accepted);
  EXPECT_EQ(a.enqueued, b.enqueued);
  EXPECT_EQ(a.delivered, b.delivered);
  EXPECT_EQ(a.bounced, b.bounced);
  EXPECT_EQ(a.suppressed, b.suppressed);
  EXPECT_EQ(a.complaints, b.complaints);
  EXPECT_EQ(a.unsubscribes, b.unsubscribes);
  EXPECT_EQ(a.opens, b.opens);
  EXPECT_EQ(a.clicks, b.clicks);
}

void expect_same(const Reputation& a, const Reputation& b) {
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.bounce_rate, b.bounce_rate);
  EXPECT_EQ(a.complaint_rate, b.complaint_rate);
  EXPECT_EQ(a.unsubscribe_rate, b.unsubscribe_rate);
  EXPECT_EQ(a.engagement_rate, b.engagement_rate);
  EXPECT_EQ(a.computed, b.computed);
}

template <typename T, typename Decode>
void expect_round_trip(const T& value, Decode decode) {
  std::string bytes = encode(value);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kRecordVersion);
  Result<T> decoded = decode(bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  expect_same(*decoded, value);
  EXPECT_EQ(encode(*decoded), bytes);
}

TEST(RecordsTest, EveryEntityRoundTrips) {
  expect_round_trip(sample_customer(), decode_customer);
  expect_round_trip(sample_plan(), decode_plan);
  expect_round_trip(sample_account(), decode_account);
  expect_round_trip(sample_domain(), decode_domain);
  expect_round_trip(sample_pool(), decode_pool);
  expect_round_trip(sample_suppression(), decode_suppression);
  expect_round_trip(sample_counters(), decode_counters);
  expect_round_trip(sample_reputation(), decode_reputation);
}

TEST(RecordsTest, DefaultEntitiesRoundTrip) {
  expect_round_trip(Customer{}, decode_customer);
  expect_round_trip(Plan{}, decode_plan);
  expect_round_trip(Account{}, decode_account);
  expect_round_trip(Domain{}, decode_domain);
  expect_round_trip(Pool{}, decode_pool);
  expect_round_trip(SuppressionEntry{}, decode_suppression);
  expect_round_trip(DayCounters{}, decode_counters);
  expect_round_trip(Reputation{}, decode_reputation);
}

TEST(RecordsTest, AccountPrepaidExpiryAbsenceAndPreEpochDatesSurvive) {
  Account none = sample_account();
  none.prepaid_expires.reset();
  none.allowed_ips.clear();
  expect_round_trip(none, decode_account);

  Account early = sample_account();
  early.start = day(-25000);
  early.prepaid_expires = day(-1);
  early.created = at(-86400 * 365);
  expect_round_trip(early, decode_account);

  Account epoch = sample_account();
  epoch.prepaid_expires = day(0);  // present, and equal to the "absent" placeholder value
  Result<Account> got = decode_account(encode(epoch));
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->prepaid_expires.has_value());
  EXPECT_EQ(*got->prepaid_expires, day(0));
}

// One encoded record of each type with a type-erased decoder, for the damage tests.
struct EncodedRecord {
  const char* what;
  std::string bytes;
  std::function<Status(std::string_view)> decode;
};

template <typename T>
std::function<Status(std::string_view)> erase(Result<T> (*decode)(std::string_view)) {
  return [decode](std::string_view b) -> Status {
    Result<T> r = decode(b);
    if (!r) return r.error();
    return ok_status();
  };
}

std::vector<EncodedRecord> every_record() {
  return {
      {"customer", encode(sample_customer()), erase(decode_customer)},
      {"plan", encode(sample_plan()), erase(decode_plan)},
      {"account", encode(sample_account()), erase(decode_account)},
      {"domain", encode(sample_domain()), erase(decode_domain)},
      {"pool", encode(sample_pool()), erase(decode_pool)},
      {"suppression", encode(sample_suppression()), erase(decode_suppression)},
      {"counters", encode(sample_counters()), erase(decode_counters)},
      {"reputation", encode(sample_reputation()), erase(decode_reputation)},
  };
}

TEST(RecordsTest, EveryTruncationOfEveryRecordIsCorrupt) {
  for (const auto& rec : every_record()) {
    ASSERT_TRUE(rec.decode(rec.bytes).has_value()) << rec.what;
    for (size_t cut = 0; cut < rec.bytes.size(); ++cut) {
      Status s = rec.decode(std::string_view(rec.bytes).substr(0, cut));
      ASSERT_FALSE(s.has_value()) << rec.what << " cut at " << cut;
      EXPECT_EQ(s.error().code, ErrorCode::kCorrupt) << rec.what << " cut at " << cut;
      EXPECT_NE(s.error().message.find(rec.what), std::string::npos) << s.error().message;
    }
  }
}

TEST(RecordsTest, TrailingBytesAreCorrupt) {
  for (const auto& rec : every_record()) {
    for (const std::string& extra :
         {std::string(1, '\0'), std::string("\x01"), std::string(9, 'x')}) {
      Status s = rec.decode(rec.bytes + extra);
      ASSERT_FALSE(s.has_value()) << rec.what;
      EXPECT_EQ(s.error().code, ErrorCode::kCorrupt) << rec.what;
    }
  }
}

TEST(RecordsTest, NewerRecordVersionIsSchemaTooNewAndVersionZeroIsCorrupt) {
  for (const auto& rec : every_record()) {
    for (int version : {kRecordVersion + 1, 0xff}) {
      std::string newer = rec.bytes;
      newer[0] = static_cast<char>(version);
      Status s = rec.decode(newer);
      ASSERT_FALSE(s.has_value()) << rec.what;
      EXPECT_EQ(s.error().code, ErrorCode::kSchemaTooNew) << rec.what;
      EXPECT_NE(s.error().message.find(std::to_string(version)), std::string::npos)
          << s.error().message;
      // A newer writer may have appended fields: still refused as too new, not as damaged.
      s = rec.decode(newer + "\x05");
      ASSERT_FALSE(s.has_value());
      EXPECT_EQ(s.error().code, ErrorCode::kSchemaTooNew) << rec.what;
    }
    std::string zero = rec.bytes;
    zero[0] = '\0';
    Status s = rec.decode(zero);
    ASSERT_FALSE(s.has_value()) << rec.what;
    EXPECT_EQ(s.error().code, ErrorCode::kCorrupt) << rec.what;
  }
}

TEST(RecordsTest, OutOfRangeEnumeratorsAreCorrupt) {
  struct Case {
    const char* name;
    std::string bytes;
    std::function<Status(std::string_view)> decode;
  };
  auto plan_kind = [](uint64_t v) {
    Plan p = sample_plan();
    p.kind = static_cast<PlanKind>(v);
    return encode(p);
  };
  auto account = [](uint64_t type, uint64_t status) {
    Account a = sample_account();
    a.type = static_cast<AccountType>(type);
    a.status = static_cast<AccountStatus>(status);
    return encode(a);
  };
  auto key_type = [](size_t which, uint64_t v) {
    Domain d = sample_domain();
    d.keys[which].type = static_cast<KeyType>(v);
    return encode(d);
  };
  auto pool_category = [](uint64_t v) {
    Pool p = sample_pool();
    p.category = static_cast<AccountType>(v);
    return encode(p);
  };
  auto reason = [](uint64_t v) {
    SuppressionEntry e = sample_suppression();
    e.reason = static_cast<SuppressionReason>(v);
    return encode(e);
  };
  const std::vector<Case> cases = {
      {"plan kind 3", plan_kind(3), erase(decode_plan)},
      {"plan kind 1000", plan_kind(1000), erase(decode_plan)},
      {"account type 2", account(2, 0), erase(decode_account)},
      {"account status 4", account(0, 4), erase(decode_account)},
      {"account status 255", account(1, 255), erase(decode_account)},
      {"first key type 2", key_type(0, 2), erase(decode_domain)},
      {"last key type 2", key_type(1, 2), erase(decode_domain)},
      {"pool category 2", pool_category(2), erase(decode_pool)},
      {"suppression reason 4", reason(4), erase(decode_suppression)},
  };
  for (const auto& c : cases) {
    Status s = c.decode(c.bytes);
    ASSERT_FALSE(s.has_value()) << c.name;
    EXPECT_EQ(s.error().code, ErrorCode::kCorrupt) << c.name;
  }
  // The largest valid enumerators still decode.
  EXPECT_TRUE(decode_plan(plan_kind(2)).has_value());
  EXPECT_TRUE(decode_account(account(1, 3)).has_value());
  EXPECT_TRUE(decode_domain(key_type(0, 1)).has_value());
  EXPECT_TRUE(decode_pool(pool_category(1)).has_value());
  EXPECT_TRUE(decode_suppression(reason(3)).has_value());
}

TEST(RecordsTest, ThirtyTwoBitFieldsBeyondTheirRangeAreCorruptNotTruncated) {
  // Writes each record by hand with one 32-bit field set to 2^32 + 5, which truncation would
  // read as 5.
  const uint64_t too_big = (uint64_t{1} << 32) + 5;
  const Plan p = sample_plan();
  const Account a = sample_account();
  const Pool o = sample_pool();
  auto plan_with = [&](int field) {
    RecordWriter w(kRecordVersion);
    w.str(p.name).u64(static_cast<uint64_t>(p.kind)).u64(p.messages);
    w.u64(field == 0 ? too_big : p.hourly_limit).u64(field == 1 ? too_big : p.max_recipients);
    w.u64(p.max_size).u64(field == 2 ? too_big : p.valid_days);
    return w.take();
  };
  auto account_with_max_domains = [&](uint64_t max_domains) {
    RecordWriter w(kRecordVersion);
    w.u64(a.id).str(a.username).str(a.password_hash).str(a.customer).str(a.plan);
    w.u64(static_cast<uint64_t>(a.type)).u64(static_cast<uint64_t>(a.status)).str(a.status_reason);
    w.u64(0).str(a.bounce_address).u64(max_domains).i64(0).u64(0).boolean(false).i64(0);
    w.str(a.pool).i64(0);
    return w.take();
  };
  auto pool_with_min_score = [&](uint64_t min_score) {
    return RecordWriter(kRecordVersion)
        .str(o.name)
        .u64(static_cast<uint64_t>(o.category))
        .u64(min_score)
        .str(o.transport)
        .str(o.bind_ipv4)
        .str(o.bind_ipv6)
        .str(o.helo)
        .str(o.nexthop)
        .take();
  };
  struct Case {
    const char* name;
    std::string bytes;
    std::function<Status(std::string_view)> decode;
  };
  const std::vector<Case> cases = {
      {"customer max_accounts", RecordWriter(kRecordVersion).str("acme").u64(too_big).i64(0).take(),
       erase(decode_customer)},
      {"plan hourly_limit", plan_with(0), erase(decode_plan)},
      {"plan max_recipients", plan_with(1), erase(decode_plan)},
      {"plan valid_days", plan_with(2), erase(decode_plan)},
      {"account max_domains", account_with_max_domains(too_big), erase(decode_account)},
      {"pool min_score", pool_with_min_score(too_big), erase(decode_pool)},
  };
  for (const auto& c : cases) {
    Status s = c.decode(c.bytes);
    ASSERT_FALSE(s.has_value()) << c.name;
    EXPECT_EQ(s.error().code, ErrorCode::kCorrupt) << c.name;
  }
  // The hand-written layouts are right: at the 32-bit maximum they decode.
  EXPECT_TRUE(decode_plan(plan_with(3)).has_value());
  EXPECT_TRUE(decode_account(account_with_max_domains(UINT32_MAX)).has_value());
  EXPECT_TRUE(decode_pool(pool_with_min_score(UINT32_MAX)).has_value());
  EXPECT_TRUE(
      decode_customer(RecordWriter(kRecordVersion).str("acme").u64(UINT32_MAX).i64(0).take())
          .has_value());
}

TEST(RecordsTest, ListCountsBeyondTheInputAreCorruptWithoutAllocatingThem) {
  // An account whose allowed-IP count claims 2^62 entries.
  Account a = sample_account();
  a.allowed_ips.clear();
  std::string good = encode(a);
  RecordWriter head(kRecordVersion);
  head.u64(a.id).str(a.username).str(a.password_hash).str(a.customer).str(a.plan);
  head.u64(static_cast<uint64_t>(a.type)).u64(static_cast<uint64_t>(a.status));
  head.str(a.status_reason);
  std::string prefix = head.bytes();
  ASSERT_EQ(good[prefix.size()], '\0');  // the empty list's count
  std::string huge_count = RecordWriter(0).u64(uint64_t{1} << 62).take().substr(1);
  std::string bad_account = prefix + huge_count + good.substr(prefix.size() + 1);
  Result<Account> acc = decode_account(bad_account);
  ASSERT_FALSE(acc.has_value());
  EXPECT_EQ(acc.error().code, ErrorCode::kCorrupt);

  std::string bad_domain =
      RecordWriter(kRecordVersion).str("example.com").i64(0).u64(uint64_t{1} << 62).take();
  Result<Domain> dom = decode_domain(bad_domain);
  ASSERT_FALSE(dom.has_value());
  EXPECT_EQ(dom.error().code, ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace sendpool
