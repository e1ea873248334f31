// The things sendpool knows about: customers, plans, accounts, domains, pools, suppression
// entries, per-day counters and reputation records (DESIGN.md §1).
//
// Plain value types with no behaviour beyond naming their enumerations; the rules live in
// the other model headers (billing.h, rules.h) and the store persists these as they are.
// Thread-safety: value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/clock.h"

namespace sendpool {

using AccountId = uint64_t;

enum class PlanKind { kFree, kMonthly, kPrepaid };
enum class AccountType { kTransactional, kPromotional };
enum class AccountStatus { kEnabled, kDisabled, kPendingPayment, kPaused };
enum class SuppressionReason { kBounce, kComplaint, kUnsubscribe, kManual };
enum class KeyType { kRsa, kEd25519 };

// Text forms as used in the CLI, the config and the JSON output ("pending-payment").
std::string_view to_string(PlanKind v);
std::string_view to_string(AccountType v);
std::string_view to_string(AccountStatus v);
std::string_view to_string(SuppressionReason v);
std::string_view to_string(KeyType v);
std::optional<PlanKind> parse_plan_kind(std::string_view text);
std::optional<AccountType> parse_account_type(std::string_view text);
std::optional<AccountStatus> parse_account_status(std::string_view text);
std::optional<SuppressionReason> parse_suppression_reason(std::string_view text);
std::optional<KeyType> parse_key_type(std::string_view text);

struct Customer {
  std::string name;
  uint32_t max_accounts = 0;
  TimePoint created{};
};

// A sending plan: how many messages, and the limits that apply to every message.
struct Plan {
  std::string name;
  PlanKind kind = PlanKind::kMonthly;
  uint64_t messages = 0;        // per billing period (free, monthly) or per package (prepaid)
  uint32_t hourly_limit = 0;    // messages per hour, 0 = unlimited
  uint32_t max_recipients = 0;  // recipients per message, 0 = unlimited
  uint64_t max_size = 0;        // bytes per message, 0 = unlimited
  uint32_t valid_days = 365;    // prepaid: how long a package (or a top-up) stays valid
};

// A CIDR block of client addresses allowed to send without SMTP AUTH.
struct IpRange {
  std::string text;  // canonical "192.0.2.0/24" or "2001:db8::/32"
};

struct Account {
  AccountId id = 0;
  std::string username;
  std::string password_hash;  // argon2id encoded string; empty = no password login
  std::string customer;
  std::string plan;
  AccountType type = AccountType::kTransactional;
  AccountStatus status = AccountStatus::kEnabled;
  std::string status_reason;  // why the status was last changed (e.g. a guardrail)
  std::vector<IpRange> allowed_ips;
  std::string bounce_address;
  uint32_t max_domains = 0;
  Date start{};  // anchors the monthly billing period
  // Prepaid package state: messages still available and the expiry (exclusive: the package
  // is usable until 00:00 UTC of this date).
  uint64_t prepaid_remaining = 0;
  std::optional<Date> prepaid_expires;
  std::string pool;  // current sending pool; empty until assigned
  TimePoint created{};
};

struct DkimKey {
  std::string selector;
  KeyType type = KeyType::kRsa;
  std::string private_key_pem;
  std::string public_key_b64;  // the p= value of the DNS record
  TimePoint created{};
  bool active = true;  // signs new mail; inactive keys stay published until removed
};

struct Domain {
  std::string name;  // lower-case A-labels
  std::vector<DkimKey> keys;
  TimePoint created{};
};

struct Pool {
  std::string name;
  AccountType category = AccountType::kTransactional;
  uint32_t min_score = 0;  // accounts reaching this reputation score may use the pool
  std::string transport;   // Postfix master.cf service name
  std::string bind_ipv4;
  std::string bind_ipv6;
  std::string helo;
  std::string nexthop;  // optional fixed next hop, e.g. "[127.0.0.1]:2526"
};

// Scope of a suppression entry: one account, or the platform-wide list.
struct SuppressionScope {
  std::optional<AccountId> account;  // nullopt = platform-wide
};

struct SuppressionEntry {
  std::string address;  // normalised: domain lower-cased, local part kept
  SuppressionReason reason = SuppressionReason::kManual;
  TimePoint time{};
  std::string detail;
};

// Message outcome counters for one account and one day, counted per recipient.
struct DayCounters {
  uint64_t accepted = 0;
  uint64_t enqueued = 0;
  uint64_t delivered = 0;
  uint64_t bounced = 0;
  uint64_t suppressed = 0;
  uint64_t complaints = 0;
  uint64_t unsubscribes = 0;
  uint64_t opens = 0;
  uint64_t clicks = 0;

  // Recipients that count against the plan: accepted but not suppressed.
  uint64_t charged() const { return accepted >= suppressed ? accepted - suppressed : 0; }
  DayCounters& operator+=(const DayCounters& o);
};

// The last computed reputation of an account (computing it is the outcomes issue).
struct Reputation {
  double score = 0;  // 0..100
  double bounce_rate = 0;
  double complaint_rate = 0;
  double unsubscribe_rate = 0;
  double engagement_rate = 0;
  TimePoint computed{};
};

// What policyd charged for one queued message, kept by queue ID so that a later rejection
// of that message (seen in the Postfix log) can be refunded exactly.
struct Charge {
  std::string queue_id;
  AccountId account = 0;
  int day = 0;              // acceptance day number (days since 1970-01-01)
  uint32_t charged = 0;     // recipients charged against the plan
  uint32_t suppressed = 0;  // recipients accepted but suppressed (not charged)
  TimePoint time{};
  uint32_t prepaid_debited = 0;  // taken from a prepaid package (set when the charge is applied)
};

}  // namespace sendpool
