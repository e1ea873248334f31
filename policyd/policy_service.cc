#include "policyd/policy_service.h"

#include <fmt/format.h>

#include <charconv>

#include "core/base/civil_time.h"
#include "core/model/sending_limits.h"
#include "core/proto/address.h"
#include "core/store/tables.h"
#include "core/store/usage.h"

namespace sendpool::policyd {
namespace {

constexpr std::string_view kDunno = "DUNNO";

uint64_t number(std::string_view text) {
  uint64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

// What the log says about the client of a request.
std::string who(const PolicyRequest& r) {
  std::string_view user = r.get("sasl_username");
  return user.empty() ? fmt::format("client={}", sanitize(r.get("client_address")))
                      : fmt::format("sasl_username={}", sanitize(user));
}

// Whether `recipient` is on the account's or the platform's suppression list.
Result<bool> is_suppressed(const ReadTxn& txn, const Account& account, std::string_view recipient) {
  auto address = normalize_address(recipient);
  if (!address) return false;  // not an address we could ever have listed
  SENDPOOL_ASSIGN_OR_RETURN(auto own,
                            tables::get_suppression(txn, SuppressionScope{account.id}, *address));
  if (own) return true;
  SENDPOOL_ASSIGN_OR_RETURN(auto global,
                            tables::get_suppression(txn, SuppressionScope{}, *address));
  return global.has_value();
}

}  // namespace

PolicyService::PolicyService(LmdbEnv& env, ChargeWriter& writer, const Clock& clock,
                             const Logger& log)
    : env_(env), writer_(writer), clock_(clock), log_(log) {}

void PolicyService::handle(const PolicyRequest& request, Reply reply) {
  std::string_view state = request.get("protocol_state");
  if (request.get("request") != "smtpd_access_policy") {
    reply(std::string(kDunno));
  } else if (state == "RCPT") {
    reply(on_recipient(request));
  } else if (state == "END-OF-MESSAGE") {
    on_end_of_message(request, std::move(reply));
  } else {
    reply(std::string(kDunno));
  }
}

Result<std::optional<Account>> PolicyService::find_account(const ReadTxn& txn,
                                                           const PolicyRequest& request) {
  std::string_view user = request.get("sasl_username");
  if (!user.empty()) return directory_.by_username(txn, user);
  return directory_.by_client_address(txn, request.get("client_address"));
}

std::string PolicyService::temporary_failure(const Error& error, const PolicyRequest& request) {
  log_.error("policy: {} instance={}: {}", who(request), sanitize(request.get("instance")),
             error.message);
  return "451 4.3.0 temporary failure in the sending service, try again later";
}

std::string PolicyService::on_recipient(const PolicyRequest& request) {
  TimePoint now = clock_.now();
  std::string instance(request.get("instance"));
  std::string action;
  Status s = env_.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto account, find_account(txn, request));
    if (!account) {
      std::string_view user = request.get("sasl_username");
      action = user.empty() ? fmt::format("550 5.7.1 client {} may not send without authentication",
                                          sanitize(request.get("client_address")))
                            : fmt::format("550 5.7.1 unknown account {}", sanitize(user));
      return ok_status();
    }
    if (Verdict v = check_account_status(*account); !v.accept) {
      action = v.reply;
      return ok_status();
    }
    OpenTransaction* open = ledger_.find(instance);
    if (open && open->account != account->id) {
      // Postfix never reuses an instance; treat a clash as a new transaction.
      ledger_.release(instance);
      open = nullptr;
    }
    SENDPOOL_ASSIGN_OR_RETURN(bool suppressed,
                              is_suppressed(txn, *account, request.get("recipient")));
    if (suppressed) {
      ledger_.open(instance, account->id, now);
      ledger_.note_suppressed(instance, now);
      action = std::string(kDunno);
      log_.info("policy: account={} recipient={} suppressed: accepted, not charged",
                account->username, sanitize(request.get("recipient")));
      return ok_status();
    }
    SENDPOOL_ASSIGN_OR_RETURN(auto plan, tables::get_plan(txn, account->plan));
    if (!plan)
      return make_error(ErrorCode::kCorrupt, fmt::format("account {} names missing plan {}",
                                                         account->username, account->plan));
    RecipientFacts facts;
    facts.account = &*account;
    facts.plan = &*plan;
    SENDPOOL_ASSIGN_OR_RETURN(facts.availability, availability(txn, *account, *plan, now));
    facts.reserved_open = ledger_.reserved(account->id);
    facts.reserved_in_message = open ? open->reserved : 0;
    facts.message_counted = open && open->reserved > 0;
    facts.messages_last_hour = window_.count(account->id, now);
    if (plan->hourly_limit > 0)
      facts.hourly_free_at = window_.next_free(account->id, now, plan->hourly_limit);
    facts.declared_size = number(request.get("size"));
    facts.now = now;
    Verdict v = check_recipient(facts);
    if (!v.accept) {
      action = v.reply;
      log_.info("policy: account={} recipient={} refused: {}", account->username,
                sanitize(request.get("recipient")), v.reply);
      return ok_status();
    }
    if (!facts.message_counted) window_.add(account->id, now);
    ledger_.open(instance, account->id, now);
    ledger_.reserve(instance, now);
    action = std::string(kDunno);
    return ok_status();
  });
  if (!s) return temporary_failure(s.error(), request);
  return action;
}

void PolicyService::on_end_of_message(const PolicyRequest& request, Reply reply) {
  TimePoint now = clock_.now();
  std::string instance(request.get("instance"));
  std::string queue_id(request.get("queue_id"));
  Charge charge;
  charge.queue_id = queue_id;
  charge.day = day_number(day_of(now));
  charge.time = now;

  OpenTransaction* open = ledger_.find(instance);
  std::string refusal;
  Status s = env_.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto account, find_account(txn, request));
    if (!account) {
      refusal = "550 5.7.1 no sendpool account for this message";
      return ok_status();
    }
    SENDPOOL_ASSIGN_OR_RETURN(auto plan, tables::get_plan(txn, account->plan));
    if (plan) {
      Verdict v = check_message_size(*account, *plan, number(request.get("size")));
      if (!v.accept) refusal = v.reply;
    }
    charge.account = account->id;
    if (open && open->account == account->id) {
      charge.charged = open->reserved;
      charge.suppressed = open->suppressed;
    } else {
      // We lost this transaction's reservations (a restart between RCPT and now): charge
      // every recipient Postfix accepted rather than let the message go uncounted.
      charge.charged = static_cast<uint32_t>(number(request.get("recipient_count")));
      log_.warning(
          "policy: account={} queue_id={} instance={}: no open transaction, charging {} "
          "recipient(s)",
          account->username, sanitize(queue_id), sanitize(instance), charge.charged);
    }
    return ok_status();
  });
  if (!s) {
    reply(temporary_failure(s.error(), request));
    return;
  }
  if (!refusal.empty()) {
    ledger_.release(instance);
    reply(refusal);
    return;
  }
  if (charge.charged + charge.suppressed == 0) {
    ledger_.release(instance);
    reply(std::string(kDunno));
    return;
  }
  if (queue_id.empty()) {
    // Postfix always names the queue file here; without it the charge could never be
    // matched to the message's fate. Fail safe.
    ledger_.release(instance);
    reply(temporary_failure(
        make_error(ErrorCode::kInvalidArgument, "END-OF-MESSAGE without queue_id"), request));
    return;
  }
  writer_.submit(charge, [this, instance, charge, reply = std::move(reply)](const Status& done) {
    // The reservation is released only now: until the charge is in the store, it is what
    // keeps other transactions from spending the same messages.
    ledger_.release(instance);
    if (!done) {
      reply("451 4.3.0 temporary failure in the sending service, try again later");
      return;
    }
    log_.info("policy: queue_id={} account_id={} charged={} suppressed={}", charge.queue_id,
              charge.account, charge.charged, charge.suppressed);
    reply(std::string(kDunno));
  });
}

void PolicyService::abandon(const std::string& instance) {
  if (auto t = ledger_.release(instance); t && t->reserved > 0)
    log_.info("policy: instance={} ended without a message; released {} reservation(s)",
              sanitize(instance), t->reserved);
}

size_t PolicyService::expire_stale() {
  auto stale = ledger_.expire(clock_.now(), kTransactionTimeout);
  for (const auto& instance : stale)
    log_.warning("policy: instance={} idle too long; its reservations were released",
                 sanitize(instance));
  window_.prune(clock_.now());
  return stale.size();
}

}  // namespace sendpool::policyd
