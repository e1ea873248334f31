#include "core/store/standing.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <deque>

#include "core/base/civil_time.h"
#include "core/store/standing_records.h"
#include "core/store/tables.h"

namespace sendpool {
namespace {

struct Window {
  Date from;  // first day counted
  Date to;    // exclusive: the day after today
};

Window window_at(TimePoint now, const ReputationSettings& settings) {
  Date today = day_of(now);
  return Window{today - (settings.window - std::chrono::days{1}), today + std::chrono::days{1}};
}

// Visits the account's history in time order.
Status scan_moves(const ReadTxn& txn, AccountId id, const std::function<void(PoolMove)>& visit) {
  Status failure;
  SENDPOOL_TRY(
      txn.scan(Db::kPoolMoves, pool_move_prefix(id), [&](std::string_view, std::string_view value) {
        auto move = decode_pool_move(value);
        if (!move) {
          failure = move.error();
          return false;
        }
        visit(std::move(move).value());
        return true;
      }));
  return failure;
}

Result<std::optional<PoolMove>> last_pause(const ReadTxn& txn, AccountId id) {
  std::optional<PoolMove> last;
  SENDPOOL_TRY(scan_moves(txn, id, [&](PoolMove m) {
    if (m.kind == StandingEventKind::kPause) last = std::move(m);
  }));
  return last;
}

// Appends an event; a second event in the same second takes the next free key (the record
// keeps the true time), so history is never overwritten and stays in order.
Status append_move(WriteTxn& txn, AccountId id, const PoolMove& move) {
  int64_t seconds = move.time.time_since_epoch().count();
  for (;;) {
    std::string key = pool_move_key(id, seconds);
    SENDPOOL_ASSIGN_OR_RETURN(auto existing, txn.get(Db::kPoolMoves, key));
    if (!existing) return txn.put(Db::kPoolMoves, key, encode(move));
    ++seconds;
  }
}

// Why the account is where its score puts it, for the move record.
std::string move_reason(const ReputationAssessment& a, const std::optional<PoolChoice>& choice,
                        AccountType type, const ReputationSettings& settings) {
  std::string why = choice ? explain_choice(*choice, a.reputation.score)
                           : fmt::format("no {} pool exists", to_string(type));
  if (!a.scored)
    return fmt::format("{}; new account: {} of {} delivered+bounced in {} days", why, a.volume,
                       settings.min_volume, settings.window.count());
  if (a.driver) why += "; driven by " + describe_factor(a.factors[static_cast<size_t>(*a.driver)]);
  return why;
}

}  // namespace

bool StandingChange::changed() const {
  bool score_changed = !previous || previous->score != assessment.reputation.score;
  return score_changed || paused() || move.has_value();
}

std::string StandingChange::summary() const {
  std::vector<std::string> notes;
  if (!previous)
    notes.push_back("first");
  else if (previous->score != assessment.reputation.score)
    notes.push_back(fmt::format("was {:.1f}", previous->score));
  if (!assessment.scored) notes.push_back(fmt::format("new account, volume {}", assessment.volume));
  std::string out = fmt::format("account {}: score {:.1f}", username, assessment.reputation.score);
  if (!notes.empty()) out += fmt::format(" ({})", fmt::join(notes, "; "));
  if (move)
    out += fmt::format("; pool {} -> {}", move->from.empty() ? "-" : move->from,
                       move->to.empty() ? "-" : move->to);
  if (paused()) out += "; paused: " + pause_reason;
  return out;
}

Result<StandingChange> recompute_standing(WriteTxn& txn, AccountId id, TimePoint now,
                                          const ReputationSettings& settings) {
  SENDPOOL_ASSIGN_OR_RETURN(auto found, tables::get_account_by_id(txn, id));
  if (!found) return make_error(ErrorCode::kNotFound, fmt::format("no account with id {}", id));
  Account account = std::move(*found);
  const Account before = account;

  StandingChange change;
  change.account = id;
  change.username = account.username;
  Window w = window_at(now, settings);
  SENDPOOL_ASSIGN_OR_RETURN(DayCounters counters, tables::sum_counters(txn, id, w.from, w.to));
  SENDPOOL_ASSIGN_OR_RETURN(change.previous, tables::get_reputation(txn, id));
  change.assessment = assess_reputation(counters, now, settings);
  const double score = change.assessment.reputation.score;
  SENDPOOL_TRY(tables::put_reputation(txn, id, change.assessment.reputation));

  // Guardrails. After an operator lifted a guardrail pause, only the days after it count.
  std::string window_text = fmt::format("in the last {} days", settings.window.count());
  DayCounters judged = counters;
  if (account.status == AccountStatus::kEnabled) {
    SENDPOOL_ASSIGN_OR_RETURN(auto lifted, last_pause(txn, id));
    if (lifted && day_of(lifted->time) + std::chrono::days{1} > w.from) {
      Date from = day_of(lifted->time) + std::chrono::days{1};
      SENDPOOL_ASSIGN_OR_RETURN(judged, tables::sum_counters(txn, id, from, w.to));
      window_text = fmt::format("since {} (after the pause of {} was lifted)", format_date(from),
                                format_date(day_of(lifted->time)));
    }
  }
  change.guardrail = check_guardrails(judged, settings);
  if (change.guardrail && account.status == AccountStatus::kEnabled) {
    change.pause_reason = fmt::format("guardrail: {} {}", describe(*change.guardrail), window_text);
    account.status = AccountStatus::kPaused;
    account.status_reason = change.pause_reason;
    SENDPOOL_TRY(append_move(txn, id,
                             PoolMove{now, StandingEventKind::kPause, account.pool, account.pool,
                                      score, change.pause_reason}));
  }

  // Pool choice, whatever the status: the pool follows the score.
  SENDPOOL_ASSIGN_OR_RETURN(auto pools, tables::list_pools(txn));
  auto choice = choose_pool(pools, account.type, score);
  std::string target = choice ? choice->pool.name : std::string();
  if (target != account.pool) {
    change.move =
        PoolMove{now,          StandingEventKind::kPoolMove,
                 account.pool, target,
                 score,        move_reason(change.assessment, choice, account.type, settings)};
    SENDPOOL_TRY(append_move(txn, id, *change.move));
    account.pool = target;
  }
  change.pool = account.pool;

  if (account.status != before.status || account.pool != before.pool) {
    SENDPOOL_TRY(tables::put_account(txn, account));
    SENDPOOL_TRY(tables::bump_catalog_generation(txn));
  }
  return change;
}

Result<std::vector<StandingChange>> recompute_all_standings(WriteTxn& txn, TimePoint now,
                                                            const ReputationSettings& settings) {
  SENDPOOL_ASSIGN_OR_RETURN(auto accounts, tables::list_accounts(txn));
  std::vector<StandingChange> out;
  out.reserve(accounts.size());
  for (const auto& a : accounts) {
    SENDPOOL_ASSIGN_OR_RETURN(auto change, recompute_standing(txn, a.id, now, settings));
    out.push_back(std::move(change));
  }
  return out;
}

Result<std::vector<PoolMove>> recent_moves(const ReadTxn& txn, AccountId id, size_t n) {
  std::deque<PoolMove> last;
  if (n == 0) return std::vector<PoolMove>{};
  SENDPOOL_TRY(scan_moves(txn, id, [&](PoolMove m) {
    last.push_back(std::move(m));
    if (last.size() > n) last.pop_front();
  }));
  return std::vector<PoolMove>(last.rbegin(), last.rend());
}

Result<StandingView> standing_view(const ReadTxn& txn, const Account& account, TimePoint now,
                                   size_t n_moves, const ReputationSettings& settings) {
  StandingView v;
  v.account = account;
  Window w = window_at(now, settings);
  SENDPOOL_ASSIGN_OR_RETURN(DayCounters counters,
                            tables::sum_counters(txn, account.id, w.from, w.to));
  v.volume = counters.delivered + counters.bounced;
  SENDPOOL_ASSIGN_OR_RETURN(v.reputation, tables::get_reputation(txn, account.id));
  if (v.reputation) {
    v.assessment = explain_reputation(*v.reputation, v.volume, settings);
    SENDPOOL_ASSIGN_OR_RETURN(auto pools, tables::list_pools(txn));
    v.choice = choose_pool(pools, account.type, v.reputation->score);
  }
  if (!account.pool.empty()) {
    SENDPOOL_ASSIGN_OR_RETURN(v.pool, tables::get_pool(txn, account.pool));
  }
  SENDPOOL_ASSIGN_OR_RETURN(v.moves, recent_moves(txn, account.id, n_moves));
  SENDPOOL_ASSIGN_OR_RETURN(v.last_pause, last_pause(txn, account.id));
  return v;
}

}  // namespace sendpool
