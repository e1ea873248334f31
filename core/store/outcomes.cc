#include "core/store/outcomes.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "core/base/civil_time.h"
#include "core/base/log.h"
#include "core/proto/address.h"
#include "core/proto/return_path.h"
#include "core/store/accounting.h"
#include "core/store/codec.h"
#include "core/store/tables.h"

namespace sendpool {
namespace {

constexpr std::string_view kEndOfMessage = "END-OF-MESSAGE";
// Version byte of the two records kept here (the position and a tracked queue ID).
constexpr uint8_t kOutcomesRecordVersion = 1;

int64_t secs(TimePoint t) {
  return t.time_since_epoch().count();
}

TimePoint time_from(int64_t s) {
  return TimePoint{std::chrono::seconds{s}};
}

template <typename T>
Result<T> finish(const RecordReader& r, T value, const char* what, bool fields_ok = true) {
  if (r.version() > kOutcomesRecordVersion)
    return make_error(ErrorCode::kSchemaTooNew,
                      fmt::format("{} record has version {}, newer than this sendpool ({})", what,
                                  r.version(), kOutcomesRecordVersion));
  if (r.version() == 0 || !r.finished() || !fields_ok)
    return make_error(ErrorCode::kCorrupt, fmt::format("{} record is damaged", what));
  return value;
}

std::string encode_position(const FollowerPosition& p) {
  return RecordWriter(kOutcomesRecordVersion)
      .u64(p.inode)
      .u64(p.offset)
      .u64(p.tracked)
      .u64(p.lines)
      .u64(p.malformed)
      .i64(secs(p.last_sweep))
      .str(p.tail)
      .take();
}

Result<FollowerPosition> decode_position(std::string_view bytes) {
  RecordReader r(bytes);
  FollowerPosition p;
  p.inode = r.u64();
  p.offset = r.u64();
  p.tracked = r.u64();
  p.lines = r.u64();
  p.malformed = r.u64();
  p.last_sweep = time_from(r.i64());
  p.tail = r.str();
  return finish(r, p, "outcome follower position", p.tail.size() <= kPositionTailLength);
}

std::string encode_tracked(const TrackedMessage& t) {
  return RecordWriter(kOutcomesRecordVersion)
      .u64(t.account)
      .i64(t.day)
      .str(t.tag)
      .u64(t.expected)
      .u64(t.finished)
      .i64(secs(t.seen))
      .take();
}

Result<TrackedMessage> decode_tracked(std::string_view bytes) {
  RecordReader r(bytes);
  TrackedMessage t;
  t.account = r.u64();
  int64_t day = r.i64();
  t.tag = r.str();
  uint64_t expected = r.u64();
  uint64_t finished = r.u64();
  t.seen = time_from(r.i64());
  t.day = static_cast<int>(day);
  t.expected = static_cast<uint32_t>(expected);
  t.finished = static_cast<uint32_t>(finished);
  bool fits = day >= INT32_MIN && day <= INT32_MAX && expected <= UINT32_MAX &&
              finished <= UINT32_MAX && t.tag.size() <= kMaxTagLength;
  return finish(r, std::move(t), "tracked queue ID", fits);
}

std::string tracked_key(std::string_view queue_id) {
  std::string key(kTrackedMessageKeyPrefix);
  key += queue_id;
  return key;
}

Status put_tracked(WriteTxn& txn, std::string_view queue_id, const TrackedMessage& t) {
  return txn.put(Db::kState, tracked_key(queue_id), encode_tracked(t));
}

Status forget_tracked(WriteTxn& txn, std::string_view queue_id, FollowerPosition& position) {
  SENDPOOL_ASSIGN_OR_RETURN(bool existed, txn.del(Db::kState, tracked_key(queue_id)));
  if (existed && position.tracked > 0) --position.tracked;
  return ok_status();
}

Status on_queue_from(WriteTxn& txn, const QueueFrom& from, const OutcomeSettings& settings,
                     TimePoint now, FollowerPosition& position, OutcomeTally& tally) {
  std::optional<ReturnPathToken> token;
  if (!from.sender.empty())
    token = decode_return_path(from.sender, settings.return_path_domain, settings.token_secret);
  SENDPOOL_ASSIGN_OR_RETURN(auto existing, get_tracked_message(txn, from.queue_id));
  if (!token || token->kind != TokenKind::kBounce) {
    // Not our mail; a queue ID we tracked has been reused by another message.
    if (existing) return forget_tracked(txn, from.queue_id, position);
    return ok_status();
  }
  if (existing && existing->account == token->account && existing->tag == token->tag) {
    existing->seen = now;  // the next delivery attempt of a message we know
    return put_tracked(txn, from.queue_id, *existing);
  }
  TrackedMessage t;
  t.account = token->account;
  t.day = token->day;
  t.tag = token->tag;
  t.expected = from.nrcpt;
  t.seen = now;
  SENDPOOL_ASSIGN_OR_RETURN(auto charge, get_charge(txn, from.queue_id));
  if (charge && charge->account == token->account && charge->day >= token->day - 1 &&
      charge->day <= token->day + 1) {
    t.day = charge->day;
    t.expected = charge->charged;
  }
  if (!existing) ++position.tracked;
  ++tally.tracked;
  return put_tracked(txn, from.queue_id, t);
}

Status on_delivery(WriteTxn& txn, const Delivery& d, TimePoint now, OutcomeTally& tally) {
  SENDPOOL_ASSIGN_OR_RETURN(auto tracked, get_tracked_message(txn, d.queue_id));
  if (!tracked) return ok_status();
  tracked->seen = now;
  if (d.status == DeliveryStatus::kDeferred) {
    ++tally.deferred;
    return put_tracked(txn, d.queue_id, *tracked);
  }
  DeliveryOutcome outcome{
      tracked->account, tracked->day, d.status, d.orig_to.value_or(d.recipient), d.dsn, d.text};
  SENDPOOL_ASSIGN_OR_RETURN(DeliveryEffect effect, apply_delivery_outcome(txn, outcome, now));
  if (effect.moved) {
    tally.accounts.insert(tracked->account);
    if (d.status == DeliveryStatus::kSent) {
      ++tally.delivered;
    } else {
      ++tally.bounced;
    }
  } else {
    ++tally.unmatched;
  }
  if (effect.suppressed) ++tally.suppressed;
  if (tracked->finished < UINT32_MAX) ++tracked->finished;
  return put_tracked(txn, d.queue_id, *tracked);
}

Status on_expired(WriteTxn& txn, const MessageExpired& e, TimePoint now, OutcomeTally& tally) {
  SENDPOOL_ASSIGN_OR_RETURN(auto tracked, get_tracked_message(txn, e.queue_id));
  if (!tracked) return ok_status();
  uint64_t pending =
      tracked->expected > tracked->finished ? tracked->expected - tracked->finished : 0;
  SENDPOOL_ASSIGN_OR_RETURN(uint64_t moved,
                            apply_expired_recipients(txn, tracked->account, tracked->day, pending));
  tally.bounced += moved;
  tally.expired += moved;
  tally.unmatched += pending - moved;
  if (moved > 0) tally.accounts.insert(tracked->account);
  tracked->finished = tracked->expected > tracked->finished ? tracked->expected : tracked->finished;
  tracked->seen = now;
  return put_tracked(txn, e.queue_id, *tracked);
}

Status on_rejected(WriteTxn& txn, std::string_view queue_id, std::string_view stage,
                   FollowerPosition& position, OutcomeTally& tally) {
  // Only a reject of the whole message after END-OF-MESSAGE follows policyd's charge.
  if (stage != kEndOfMessage) return ok_status();
  SENDPOOL_ASSIGN_OR_RETURN(auto refunded, refund_charge(txn, queue_id));
  if (refunded) {
    ++tally.refunded;
    tally.accounts.insert(refunded->account);
  }
  return forget_tracked(txn, queue_id, position);
}

}  // namespace

bool OutcomeTally::counted_anything() const {
  return tracked + delivered + bounced + deferred + suppressed + refunded + unmatched + swept > 0;
}

OutcomeTally& OutcomeTally::operator+=(const OutcomeTally& o) {
  tracked += o.tracked;
  delivered += o.delivered;
  bounced += o.bounced;
  expired += o.expired;
  deferred += o.deferred;
  suppressed += o.suppressed;
  refunded += o.refunded;
  unmatched += o.unmatched;
  swept += o.swept;
  accounts.insert(o.accounts.begin(), o.accounts.end());
  return *this;
}

Result<FollowerPosition> get_follower_position(const ReadTxn& txn) {
  SENDPOOL_ASSIGN_OR_RETURN(auto bytes, txn.get(Db::kState, kOutcomesStateKey));
  if (!bytes) return FollowerPosition{};
  return decode_position(*bytes);
}

Status put_follower_position(WriteTxn& txn, const FollowerPosition& position) {
  return txn.put(Db::kState, kOutcomesStateKey, encode_position(position));
}

Result<std::optional<TrackedMessage>> get_tracked_message(const ReadTxn& txn,
                                                          std::string_view queue_id) {
  SENDPOOL_ASSIGN_OR_RETURN(auto bytes, txn.get(Db::kState, tracked_key(queue_id)));
  if (!bytes) return std::optional<TrackedMessage>();
  SENDPOOL_ASSIGN_OR_RETURN(TrackedMessage t, decode_tracked(*bytes));
  return std::optional<TrackedMessage>(std::move(t));
}

Result<DeliveryEffect> apply_delivery_outcome(WriteTxn& txn, const DeliveryOutcome& outcome,
                                              TimePoint now) {
  DeliveryEffect effect;
  if (outcome.status == DeliveryStatus::kDeferred) return effect;
  Date day = date_from_day_number(outcome.day);
  SENDPOOL_ASSIGN_OR_RETURN(DayCounters c, tables::get_counters(txn, outcome.account, day));
  if (c.enqueued > 0) {
    --c.enqueued;
    if (outcome.status == DeliveryStatus::kSent) {
      ++c.delivered;
    } else {
      ++c.bounced;
    }
    SENDPOOL_TRY(tables::put_counters(txn, outcome.account, day, c));
    effect.moved = true;
  }
  if (outcome.status == DeliveryStatus::kSent) return effect;

  effect.verdict = classify_bounce(outcome.dsn, outcome.text);
  if (!suppresses(effect.verdict.kind)) return effect;
  auto address = normalize_address(outcome.recipient);
  if (!address) return effect;  // nothing we could ever match at RCPT
  SENDPOOL_ASSIGN_OR_RETURN(auto account, tables::get_account_by_id(txn, outcome.account));
  if (!account) return effect;
  SuppressionScope scope{outcome.account};
  SENDPOOL_ASSIGN_OR_RETURN(auto listed, tables::get_suppression(txn, scope, *address));
  if (listed) return effect;  // the first reason stands
  SuppressionEntry entry;
  entry.address = *address;
  entry.reason = SuppressionReason::kBounce;
  entry.time = now;
  entry.detail = sanitize(fmt::format("{} {}", outcome.dsn, remote_reply(outcome.text)),
                          kMaxBounceDetailLength);
  SENDPOOL_TRY(tables::put_suppression(txn, scope, entry));
  effect.suppressed = true;
  return effect;
}

Result<uint64_t> apply_expired_recipients(WriteTxn& txn, AccountId account, int day,
                                          uint64_t recipients) {
  if (recipients == 0) return uint64_t{0};
  Date date = date_from_day_number(day);
  SENDPOOL_ASSIGN_OR_RETURN(DayCounters c, tables::get_counters(txn, account, date));
  uint64_t moved = std::min(recipients, c.enqueued);
  if (moved == 0) return uint64_t{0};
  c.enqueued -= moved;
  c.bounced += moved;
  SENDPOOL_TRY(tables::put_counters(txn, account, date, c));
  return moved;
}

Status apply_outcome_event(WriteTxn& txn, const PostfixLogEvent& event,
                           const OutcomeSettings& settings, TimePoint now,
                           FollowerPosition& position, OutcomeTally& tally) {
  if (const auto* from = std::get_if<QueueFrom>(&event))
    return on_queue_from(txn, *from, settings, now, position, tally);
  if (const auto* delivery = std::get_if<Delivery>(&event))
    return on_delivery(txn, *delivery, now, tally);
  if (const auto* expired = std::get_if<MessageExpired>(&event))
    return on_expired(txn, *expired, now, tally);
  if (const auto* milter = std::get_if<MilterReject>(&event))
    return on_rejected(txn, milter->queue_id, milter->stage, position, tally);
  if (const auto* reject = std::get_if<Reject>(&event))
    return on_rejected(txn, reject->queue_id, reject->stage, position, tally);
  if (const auto* removed = std::get_if<Removed>(&event))
    return forget_tracked(txn, removed->queue_id, position);
  return ok_status();
}

Result<uint64_t> sweep_tracked_messages(WriteTxn& txn, TimePoint now, FollowerPosition& position,
                                        std::chrono::seconds ttl, size_t max_entries) {
  std::vector<std::pair<TimePoint, std::string>> live;  // (seen, key)
  std::vector<std::string> stale;
  TimePoint cutoff = now - ttl;
  SENDPOOL_TRY(txn.scan(Db::kState, kTrackedMessageKeyPrefix,
                        [&](std::string_view key, std::string_view value) {
                          auto t = decode_tracked(value);
                          // A damaged entry cannot be used; dropping it is the repair.
                          if (!t || t->seen < cutoff) {
                            stale.emplace_back(key);
                          } else {
                            live.emplace_back(t->seen, std::string(key));
                          }
                          return true;
                        }));
  if (live.size() > max_entries) {
    size_t excess = live.size() - max_entries;
    std::nth_element(live.begin(), live.begin() + static_cast<std::ptrdiff_t>(excess), live.end());
    for (size_t i = 0; i < excess; ++i)
      stale.push_back(std::move(live[i].second));
    live.erase(live.begin(), live.begin() + static_cast<std::ptrdiff_t>(excess));
  }
  for (const std::string& key : stale)
    SENDPOOL_TRY(txn.del(Db::kState, key));
  position.tracked = live.size();
  position.last_sweep = now;
  return static_cast<uint64_t>(stale.size());
}

}  // namespace sendpool
