// sendpoolctl account add | passwd | set | topup | show | list | why
#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "core/base/civil_time.h"
#include "core/crypto/password_hash.h"
#include "core/model/reputation.h"
#include "core/store/admin.h"
#include "core/store/routing.h"
#include "core/store/standing.h"
#include "core/store/tables.h"
#include "core/store/usage.h"
#include "tools/sendpoolctl/cli.h"
#include "tools/sendpoolctl/output.h"

namespace sendpool::ctl {
namespace {

// Everything `account show` tells about one account at one instant.
struct AccountView {
  Account account;
  Plan plan;
  Availability availability;
  std::vector<std::string> domains;
  std::optional<Reputation> reputation;
};

Result<AccountView> account_view(const ReadTxn& txn, const Account& account, TimePoint at) {
  AccountView v{account, {}, {}, {}, std::nullopt};
  SENDPOOL_ASSIGN_OR_RETURN(auto plan, tables::get_plan(txn, account.plan));
  if (!plan)
    return make_error(ErrorCode::kCorrupt, fmt::format("account {} names missing plan {}",
                                                       account.username, account.plan));
  v.plan = *plan;
  SENDPOOL_ASSIGN_OR_RETURN(v.availability, availability(txn, account, v.plan, at));
  SENDPOOL_ASSIGN_OR_RETURN(v.domains, tables::domains_of(txn, account.username));
  SENDPOOL_ASSIGN_OR_RETURN(v.reputation, tables::get_reputation(txn, account.id));
  return v;
}

Json view_json(const AccountView& v) {
  const Account& a = v.account;
  Json j{{"username", a.username},
         {"id", a.id},
         {"customer", a.customer},
         {"plan", a.plan},
         {"plan_kind", to_string(v.plan.kind)},
         {"type", to_string(a.type)},
         {"status", to_string(a.status)},
         {"status_reason", a.status_reason.empty() ? Json(nullptr) : Json(a.status_reason)},
         {"available_messages", v.availability.available}};
  if (v.availability.period) {
    j["period_start"] = format_date(v.availability.period->start);
    j["period_end"] = format_date(v.availability.period->end);
  }
  if (v.plan.kind == PlanKind::kPrepaid)
    j["expires"] =
        v.availability.expires ? Json(format_date(*v.availability.expires)) : Json(nullptr);
  Json ips = Json::array();
  for (const auto& ip : a.allowed_ips)
    ips.push_back(ip.text);
  j["allowed_ips"] = ips;
  j["bounce_address"] = a.bounce_address.empty() ? Json(nullptr) : Json(a.bounce_address);
  j["max_domains"] = a.max_domains;
  j["domains"] = v.domains;
  j["start"] = format_date(a.start);
  j["pool"] = a.pool.empty() ? Json(nullptr) : Json(a.pool);
  j["reputation"] = v.reputation ? to_json(*v.reputation) : Json(nullptr);
  j["has_password"] = !a.password_hash.empty();
  return j;
}

std::string availability_text(const AccountView& v) {
  const Availability& av = v.availability;
  switch (av.exhaustion) {
    case Exhaustion::kPrepaidExpired:
      return "0 (prepaid package expired)";
    case Exhaustion::kPrepaidUsedUp:
      return "0 (prepaid package used up)";
    case Exhaustion::kMonthlyUsedUp:
      return fmt::format("0 (monthly allowance used up; resets {})", format_date(av.period->end));
    case Exhaustion::kNone:
      break;
  }
  return std::to_string(av.available);
}

void print_view(std::ostream& os, const AccountView& v) {
  const Account& a = v.account;
  std::vector<std::pair<std::string, std::string>> f{
      {"account", a.username},
      {"customer", a.customer},
      {"plan", fmt::format("{} ({})", a.plan, to_string(v.plan.kind))},
      {"type", std::string(to_string(a.type))},
      {"status", a.status_reason.empty()
                     ? std::string(to_string(a.status))
                     : fmt::format("{} ({})", to_string(a.status), a.status_reason)},
      {"available messages", availability_text(v)}};
  if (v.availability.period)
    f.emplace_back("billing period",
                   fmt::format("{} to {} (resets {})", format_date(v.availability.period->start),
                               format_date(v.availability.period->end - std::chrono::days{1}),
                               format_date(v.availability.period->end)));
  if (v.availability.expires)
    f.emplace_back("package expires", format_date(*v.availability.expires));
  std::string domains, ips;
  for (const auto& d : v.domains)
    domains += (domains.empty() ? "" : ", ") + d;
  for (const auto& ip : a.allowed_ips)
    ips += (ips.empty() ? "" : ", ") + ip.text;
  f.emplace_back("domains", fmt::format("{} ({} of {})", domains.empty() ? "-" : domains,
                                        v.domains.size(), a.max_domains));
  f.emplace_back("allowed IPs", ips.empty() ? "-" : ips);
  f.emplace_back("bounce address", a.bounce_address.empty() ? "-" : a.bounce_address);
  f.emplace_back("pool", a.pool.empty() ? "- (not assigned yet)" : a.pool);
  f.emplace_back("reputation", v.reputation ? fmt::format("{:.1f}", v.reputation->score)
                                            : "- (not computed yet)");
  f.emplace_back("password", a.password_hash.empty() ? "not set" : "set");
  print_fields(os, f);
}

// Reads one password line from stdin (no echo handling: this is for pipes).
std::string read_password_line() {
  std::string line;
  if (!std::getline(std::cin, line)) throw UsageError{"--password-stdin: no password on stdin"};
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Result<std::string> hashed_password_from_stdin() {
  std::string password = read_password_line();
  SENDPOOL_TRY(check_password_acceptable(password));
  return hash_password(password);
}

int account_add(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("user", po::value<std::string>()->required(), "username")(
      "customer", po::value<std::string>()->required(), "owning customer")(
      "plan", po::value<std::string>()->required(), "sending plan")(
      "type", po::value<std::string>()->required(), "transactional|promotional")(
      "password-stdin", "read the password from stdin")("max-domains", po::value<std::string>(),
                                                        "maximum linked domains (default 10)")(
      "start", po::value<std::string>(), "start date YYYY-MM-DD (default today)");
  Options vm = parse_args(args, desc, {"user"});
  admin::NewAccount spec;
  spec.username = vm["user"].as<std::string>();
  spec.customer = vm["customer"].as<std::string>();
  spec.plan = vm["plan"].as<std::string>();
  auto type = parse_account_type(vm["type"].as<std::string>());
  if (!type) throw UsageError{"--type must be transactional or promotional"};
  spec.type = *type;
  spec.max_domains = static_cast<uint32_t>(count_arg(vm, "max-domains", 1, 100000, 10));
  if (vm.count("start")) spec.start = parse_date_arg("--start", vm["start"].as<std::string>());
  if (vm.count("password-stdin")) {
    auto hash = hashed_password_from_stdin();
    if (!hash) return ctx.fail(hash.error());
    spec.password_hash = *hash;
  }
  Account added;
  // No `create`: an account needs an existing customer and plan, so a missing store can only
  // be a wrong --store, which "no store at …" names.
  Status s = ctx.change([&](LmdbEnv& env) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(added, admin::add_account(env, spec, ctx.clock()));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  if (ctx.json())
    print_json(ctx.out(), Json{{"username", added.username}, {"id", added.id}});
  else
    ctx.out() << fmt::format(
        "account {} added for customer {} on plan {}{}\n", added.username, added.customer,
        added.plan, added.password_hash.empty() ? " (no password yet: account passwd)" : "");
  return kExitOk;
}

int account_passwd(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("user", po::value<std::string>()->required(), "username")(
      "password-stdin", "read the password from stdin");
  Options vm = parse_args(args, desc, {"user"});
  if (!vm.count("password-stdin"))
    throw UsageError{"give the password on stdin with --password-stdin"};
  std::string user = vm["user"].as<std::string>();
  // Check the account exists before paying for a slow hash.
  Status exists = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto a, tables::get_account(txn, user));
    if (!a) return make_error(ErrorCode::kNotFound, fmt::format("no account named {}", user));
    return ok_status();
  });
  if (!exists) return ctx.fail(exists.error());
  auto hash = hashed_password_from_stdin();
  if (!hash) return ctx.fail(hash.error());
  Status s = ctx.change([&](LmdbEnv& env) { return admin::set_password_hash(env, user, *hash); });
  if (!s) return ctx.fail(s.error());
  if (!ctx.json()) ctx.out() << fmt::format("password of account {} changed\n", user);
  return kExitOk;
}

int account_set(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("user", po::value<std::string>()->required(), "username")(
      "status", po::value<std::string>(), "enabled|disabled|pending-payment|paused")(
      "reason", po::value<std::string>()->default_value(""), "why the status changes")(
      "plan", po::value<std::string>(), "new plan")(
      "allow-ip", po::value<std::vector<std::string>>()->composing(), "CIDR allowed without AUTH")(
      "deny-ip", po::value<std::vector<std::string>>()->composing(), "CIDR to remove")(
      "bounce-address", po::value<std::string>(), "bounce-notification address ('' clears)")(
      "max-domains", po::value<std::string>(), "maximum linked domains");
  Options vm = parse_args(args, desc, {"user"});
  admin::AccountChanges changes;
  if (vm.count("status")) {
    auto status = parse_account_status(vm["status"].as<std::string>());
    if (!status) throw UsageError{"--status must be enabled, disabled, pending-payment or paused"};
    changes.status = *status;
    changes.status_reason = vm["reason"].as<std::string>();
  }
  if (vm.count("plan")) changes.plan = vm["plan"].as<std::string>();
  if (vm.count("allow-ip")) changes.allow_ips = vm["allow-ip"].as<std::vector<std::string>>();
  if (vm.count("deny-ip")) changes.deny_ips = vm["deny-ip"].as<std::vector<std::string>>();
  if (vm.count("bounce-address")) changes.bounce_address = vm["bounce-address"].as<std::string>();
  if (vm.count("max-domains"))
    changes.max_domains = static_cast<uint32_t>(count_arg(vm, "max-domains", 1, 100000));
  if (!changes.status && !changes.plan && changes.allow_ips.empty() && changes.deny_ips.empty() &&
      !changes.bounce_address && !changes.max_domains)
    throw UsageError{"nothing to change"};
  std::string user = vm["user"].as<std::string>();
  Status s = ctx.change([&](LmdbEnv& env) -> Status {
    SENDPOOL_TRY(admin::update_account(env, user, changes, ctx.clock()));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  if (!ctx.json()) ctx.out() << fmt::format("account {} changed\n", user);
  return kExitOk;
}

int account_topup(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("user", po::value<std::string>()->required(), "username")(
      "messages", po::value<std::string>()->required(), "messages bought")(
      "valid-days", po::value<std::string>(), "validity of this top-up (default: the plan's)");
  Options vm = parse_args(args, desc, {"user"});
  uint64_t messages = count_arg(vm, "messages", 1, uint64_t{1} << 53);
  std::optional<uint32_t> valid;
  if (vm.count("valid-days")) valid = static_cast<uint32_t>(count_arg(vm, "valid-days", 1, 36500));
  std::string user = vm["user"].as<std::string>();
  Account after;
  Status s = ctx.change([&](LmdbEnv& env) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(after, admin::top_up(env, user, messages, valid, ctx.clock()));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  if (ctx.json())
    print_json(ctx.out(), Json{{"username", after.username},
                               {"prepaid_remaining", after.prepaid_remaining},
                               {"expires", format_date(*after.prepaid_expires)}});
  else
    ctx.out() << fmt::format("account {} now has {} prepaid messages, valid until {}\n", user,
                             after.prepaid_remaining, format_date(*after.prepaid_expires));
  return kExitOk;
}

int account_show(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("user", po::value<std::string>()->required(), "username")(
      "at", po::value<std::string>(), "evaluate at YYYY-MM-DDTHH:MM:SSZ (what-if)");
  Options vm = parse_args(args, desc, {"user"});
  TimePoint at = ctx.clock().now();
  if (vm.count("at")) {
    auto t = parse_timestamp(vm["at"].as<std::string>());
    if (!t) throw UsageError{"--at expects YYYY-MM-DDTHH:MM:SSZ"};
    at = *t;
  }
  std::string user = vm["user"].as<std::string>();
  std::optional<AccountView> view;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto a, tables::get_account(txn, user));
    if (!a) return make_error(ErrorCode::kNotFound, fmt::format("no account named {}", user));
    SENDPOOL_ASSIGN_OR_RETURN(view, account_view(txn, *a, at));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  if (ctx.json())
    print_json(ctx.out(), view_json(*view));
  else
    print_view(ctx.out(), *view);
  return kExitOk;
}

int account_list(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("customer", po::value<std::string>(), "only this customer's accounts");
  Options vm = parse_args(args, desc, {});
  std::optional<std::string> customer;
  if (vm.count("customer")) customer = vm["customer"].as<std::string>();
  std::vector<AccountView> views;
  TimePoint now = ctx.clock().now();
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    if (customer) {
      SENDPOOL_ASSIGN_OR_RETURN(auto c, tables::get_customer(txn, *customer));
      if (!c)
        return make_error(ErrorCode::kNotFound, fmt::format("no customer named {}", *customer));
    }
    SENDPOOL_ASSIGN_OR_RETURN(auto accounts, tables::list_accounts(txn));
    for (const auto& a : accounts) {
      if (customer && a.customer != *customer) continue;
      SENDPOOL_ASSIGN_OR_RETURN(AccountView v, account_view(txn, a, now));
      views.push_back(std::move(v));
    }
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& v : views)
      out.push_back(view_json(v));
    print_json(ctx.out(), out);
    return kExitOk;
  }
  Table t({"ACCOUNT", "CUSTOMER", "PLAN", "TYPE", "STATUS", "AVAILABLE", "DOMAINS", "POOL"});
  for (const auto& v : views)
    t.add({v.account.username, v.account.customer, v.account.plan,
           std::string(to_string(v.account.type)), std::string(to_string(v.account.status)),
           std::to_string(v.availability.available), std::to_string(v.domains.size()),
           v.account.pool.empty() ? "-" : v.account.pool});
  t.print(ctx.out());
  return kExitOk;
}

// --- account why ----------------------------------------------------------------------------

constexpr std::string_view kGuardrailPrefix = "guardrail: ";

// Why the account is paused (or otherwise not sending), in words; empty when it is enabled.
std::string status_explanation(const StandingView& v) {
  const Account& a = v.account;
  switch (a.status) {
    case AccountStatus::kEnabled:
      return {};
    case AccountStatus::kPaused:
      if (a.status_reason.rfind(kGuardrailPrefix, 0) == 0)
        return fmt::format(
            "{} is paused by a guardrail{}: {}. It stays paused until an operator lifts it "
            "(sendpoolctl account set {} --status enabled).",
            a.username,
            v.last_pause ? fmt::format(" since {}", format_timestamp(v.last_pause->time)) : "",
            a.status_reason.substr(kGuardrailPrefix.size()), a.username);
      return fmt::format("{} is paused by an operator{}.", a.username,
                         a.status_reason.empty() ? "" : ": " + a.status_reason);
    case AccountStatus::kDisabled:
    case AccountStatus::kPendingPayment:
      break;
  }
  return fmt::format("{} is {}{}, so it does not send.", a.username, to_string(a.status),
                     a.status_reason.empty() ? "" : " (" + a.status_reason + ")");
}

std::string score_explanation(const StandingView& v, const ReputationSettings& settings) {
  if (!v.reputation)
    return fmt::format("No reputation has been computed yet (sendpoolctl reputation recompute {}).",
                       v.account.username);
  const ReputationAssessment& r = v.assessment;
  double score = v.reputation->score;
  if (!r.scored)
    return fmt::format(
        "Its score is {:.1f}: with {} delivered+bounced in the last {} days it is below the {} "
        "needed, so it keeps the neutral new-account score of {:.0f}.",
        score, v.volume, settings.window.count(), settings.min_volume, settings.neutral_score);
  if (!r.driver) return fmt::format("Its score is {:.1f}: no factor costs it any points.", score);
  return fmt::format("Its score is {:.1f}, driven by the {}.", score,
                     describe_factor(r.factors[static_cast<size_t>(*r.driver)]));
}

std::string pool_explanation(const StandingView& v, const Route& route) {
  const Account& a = v.account;
  if (a.pool.empty()) {
    if (route.pool.empty())
      return fmt::format(
          "No pool is assigned and no default {} pool is configured: Postfix uses "
          "its default_transport.",
          to_string(a.type));
    return fmt::format("No pool is assigned: its mail leaves from the default {} pool {}.",
                       to_string(a.type), route.pool);
  }
  if (!v.pool)
    return fmt::format("Its pool {} no longer exists: its mail leaves from {}.", a.pool,
                       route.pool.empty() ? "Postfix's default_transport" : route.pool);
  std::string out = fmt::format("It sends from pool {} ({}, min score {})", a.pool,
                                to_string(v.pool->category), v.pool->min_score);
  if (v.reputation && v.choice && v.choice->pool.name == a.pool)
    out += ": " + explain_choice(*v.choice, v.reputation->score) + ".";
  else if (v.choice)
    out += fmt::format(
        ". With today's pools its score would choose {}; it moves there at the "
        "next recompute.",
        v.choice->pool.name);
  else
    out += ".";
  for (const auto& m : v.moves) {
    if (m.kind != StandingEventKind::kPoolMove || m.to != a.pool) continue;
    out += fmt::format(" It moved there on {} from {}.", format_timestamp(m.time),
                       m.from.empty() ? "no pool" : m.from);
    break;
  }
  return out;
}

int account_why(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("user", po::value<std::string>()->required(), "username");
  Options vm = parse_args(args, desc, {"user"});
  std::string user = vm["user"].as<std::string>();
  const ReputationSettings settings;
  std::optional<StandingView> view;
  Route route;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto a, tables::get_account(txn, user));
    if (!a) return make_error(ErrorCode::kNotFound, fmt::format("no account named {}", user));
    SENDPOOL_ASSIGN_OR_RETURN(view, standing_view(txn, *a, ctx.clock().now(), 10, settings));
    const auto& policyd = ctx.config().policyd;
    SENDPOOL_ASSIGN_OR_RETURN(route,
                              route_for_account(txn, *a,
                                                DefaultPools{policyd.default_transactional_pool,
                                                             policyd.default_promotional_pool}));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  const StandingView& v = *view;
  std::vector<std::string> lines;
  if (auto status = status_explanation(v); !status.empty()) lines.push_back(status);
  lines.push_back(score_explanation(v, settings));
  lines.push_back(pool_explanation(v, route));
  if (ctx.json()) {
    const Account& a = v.account;
    Json driver = nullptr;
    if (v.reputation && v.assessment.driver) {
      const FactorScore& f = v.assessment.factors[static_cast<size_t>(*v.assessment.driver)];
      driver = Json{{"factor", factor_key(f.factor)},
                    {"rate", f.rate},
                    {"band", to_string(f.band)},
                    {"points_lost", std::round(f.points_lost * 10) / 10}};
    }
    print_json(
        ctx.out(),
        Json{{"account", a.username},
             {"status", to_string(a.status)},
             {"status_reason", a.status_reason.empty() ? Json(nullptr) : Json(a.status_reason)},
             {"paused_by_guardrail", a.status == AccountStatus::kPaused &&
                                         a.status_reason.rfind(kGuardrailPrefix, 0) == 0},
             {"score", v.reputation ? Json(v.reputation->score) : Json(nullptr)},
             {"scored", v.reputation ? Json(v.assessment.scored) : Json(nullptr)},
             {"volume", v.volume},
             {"min_volume", settings.min_volume},
             {"driver", driver},
             {"pool", a.pool.empty() ? Json(nullptr) : Json(a.pool)},
             {"pool_min_score", v.pool ? Json(v.pool->min_score) : Json(nullptr)},
             {"chosen_pool", v.choice ? Json(v.choice->pool.name) : Json(nullptr)},
             {"route_pool", route.pool.empty() ? Json(nullptr) : Json(route.pool)},
             {"explanation", lines}});
    return kExitOk;
  }
  for (const auto& line : lines)
    ctx.out() << line << "\n";
  return kExitOk;
}

}  // namespace

std::vector<Command> account_commands() {
  return {
      {"account", "add", account_add,
       "account add USER --customer NAME --plan PLAN --type transactional|promotional "
       "[--password-stdin] [--max-domains N] [--start YYYY-MM-DD]"},
      {"account", "passwd", account_passwd, "account passwd USER --password-stdin"},
      {"account", "set", account_set,
       "account set USER [--status S [--reason TEXT]] [--plan PLAN] [--allow-ip CIDR]... "
       "[--deny-ip CIDR]... [--bounce-address ADDR] [--max-domains N]"},
      {"account", "topup", account_topup, "account topup USER --messages N [--valid-days N]"},
      {"account", "show", account_show, "account show USER [--at YYYY-MM-DDTHH:MM:SSZ]"},
      {"account", "list", account_list, "account list [--customer NAME]"},
      {"account", "why", account_why, "account why USER"},
  };
}

}  // namespace sendpool::ctl
