// sendpoolctl reputation show (USER | --customer NAME) | reputation recompute (USER | --all)
//
// `show` explains a stored reputation (score, factors with value and band, pool, last moves);
// `recompute` runs the same recompute_standing() the outcome programs run after they apply
// outcomes, for one account or all of them, in one write transaction.
#include <fmt/format.h>

#include <cmath>

#include "core/base/civil_time.h"
#include "core/model/reputation.h"
#include "core/model/rules.h"
#include "core/store/standing.h"
#include "core/store/tables.h"
#include "tools/sendpoolctl/cli.h"
#include "tools/sendpoolctl/output.h"

namespace sendpool::ctl {
namespace {

constexpr size_t kMovesShown = 5;

std::string pool_or_dash(const std::string& pool) {
  return pool.empty() ? "-" : pool;
}

Json move_json(const PoolMove& m) {
  return Json{{"time", format_timestamp(m.time)},
              {"event", to_string(m.kind)},
              {"from", m.from.empty() ? Json(nullptr) : Json(m.from)},
              {"to", m.to.empty() ? Json(nullptr) : Json(m.to)},
              {"score", m.score},
              {"reason", m.reason}};
}

Json view_json(const StandingView& v, const ReputationSettings& settings) {
  const Account& a = v.account;
  Json factors = nullptr, driver = nullptr;
  if (v.reputation) {
    factors = Json::object();
    for (const auto& f : v.assessment.factors)
      factors[std::string(factor_key(f.factor))] =
          Json{{"rate", f.rate},
               {"band", to_string(f.band)},
               {"points_lost", std::round(f.points_lost * 10) / 10},
               {"weight", factor_rule(f.factor).weight}};
    if (v.assessment.driver) driver = factor_key(*v.assessment.driver);
  }
  Json moves = Json::array();
  for (const auto& m : v.moves)
    moves.push_back(move_json(m));
  return Json{{"account", a.username},
              {"status", to_string(a.status)},
              {"status_reason", a.status_reason.empty() ? Json(nullptr) : Json(a.status_reason)},
              {"reputation", v.reputation ? to_json(*v.reputation) : Json(nullptr)},
              {"volume", v.volume},
              {"min_volume", settings.min_volume},
              {"window_days", settings.window.count()},
              {"scored", v.reputation ? Json(v.assessment.scored) : Json(nullptr)},
              {"factors", factors},
              {"driver", driver},
              {"pool", a.pool.empty() ? Json(nullptr) : Json(a.pool)},
              {"pool_min_score", v.pool ? Json(v.pool->min_score) : Json(nullptr)},
              {"moves", moves}};
}

void print_view(std::ostream& os, const StandingView& v, const ReputationSettings& settings) {
  const Account& a = v.account;
  std::vector<std::pair<std::string, std::string>> f{
      {"account", a.username},
      {"status", a.status_reason.empty()
                     ? std::string(to_string(a.status))
                     : fmt::format("{} ({})", to_string(a.status), a.status_reason)}};
  if (v.reputation) {
    f.emplace_back("score", fmt::format("{:.1f}", v.reputation->score));
    f.emplace_back("computed", format_timestamp(v.reputation->computed));
  } else {
    f.emplace_back("score", "- (not computed yet)");
  }
  f.emplace_back(
      "volume",
      fmt::format("{} delivered+bounced in the last {} days{}", v.volume, settings.window.count(),
                  v.volume < settings.min_volume
                      ? fmt::format(" (new account: the score moves from {})", settings.min_volume)
                      : ""));
  if (v.reputation) {
    for (const auto& s : v.assessment.factors) {
      std::string value = s.band == Band::kNoData ? "no data (no opens or clicks fed in)"
                                                  : fmt::format("{} ({}, -{:.1f} points)",
                                                                format_rate(s.factor, s.rate),
                                                                to_string(s.band), s.points_lost);
      f.emplace_back(std::string(to_string(s.factor)), value);
    }
    f.emplace_back("driven by", v.assessment.driver   ? std::string(to_string(*v.assessment.driver))
                                : v.assessment.scored ? "- (no factor costs points)"
                                                      : "- (not scored yet)");
  }
  std::string pool = "- (not assigned yet)";
  if (!a.pool.empty())
    pool = v.pool ? fmt::format("{} (min score {})", a.pool, v.pool->min_score)
                  : fmt::format("{} (no longer exists)", a.pool);
  f.emplace_back("pool", pool);
  print_fields(os, f);
  os << "\nlast moves:\n";
  if (v.moves.empty()) {
    os << "  none\n";
    return;
  }
  Table t({"TIME", "EVENT", "FROM", "TO", "SCORE", "REASON"});
  for (const auto& m : v.moves)
    t.add({format_timestamp(m.time), std::string(to_string(m.kind)), pool_or_dash(m.from),
           pool_or_dash(m.to), fmt::format("{:.1f}", m.score), m.reason});
  t.print(os);
}

int show_account(Context& ctx, const std::string& user) {
  const ReputationSettings settings;
  std::optional<StandingView> view;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto a, tables::get_account(txn, user));
    if (!a) return make_error(ErrorCode::kNotFound, fmt::format("no account named {}", user));
    SENDPOOL_ASSIGN_OR_RETURN(view,
                              standing_view(txn, *a, ctx.clock().now(), kMovesShown, settings));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  if (ctx.json())
    print_json(ctx.out(), view_json(*view, settings));
  else
    print_view(ctx.out(), *view, settings);
  return kExitOk;
}

// Customer reputation: the average of its accounts' scores, and high-volume eligibility.
int show_customer(Context& ctx, const std::string& name) {
  struct Row {
    std::string account;
    std::optional<double> score;
  };
  std::vector<Row> rows;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto c, tables::get_customer(txn, name));
    if (!c) return make_error(ErrorCode::kNotFound, fmt::format("no customer named {}", name));
    SENDPOOL_ASSIGN_OR_RETURN(auto accounts, tables::list_accounts(txn));
    for (const auto& a : accounts) {
      if (a.customer != name) continue;
      SENDPOOL_ASSIGN_OR_RETURN(auto rep, tables::get_reputation(txn, a.id));
      rows.push_back(Row{a.username, rep ? std::optional<double>(rep->score) : std::nullopt});
    }
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  std::vector<std::optional<double>> scores;
  for (const auto& r : rows)
    scores.push_back(r.score);
  auto average = customer_reputation(scores);
  double threshold = ctx.config().reputation.high_volume_min_score;
  bool eligible = average && *average >= threshold;
  if (ctx.json()) {
    Json accounts = Json::array();
    for (const auto& r : rows)
      accounts.push_back(
          Json{{"account", r.account}, {"score", r.score ? Json(*r.score) : Json(nullptr)}});
    print_json(ctx.out(), Json{{"customer", name},
                               {"reputation", average ? Json(*average) : Json(nullptr)},
                               {"high_volume_eligible", eligible},
                               {"high_volume_min_score", threshold},
                               {"accounts", accounts}});
    return kExitOk;
  }
  print_fields(
      ctx.out(),
      {{"customer", name},
       {"reputation", average ? fmt::format("{:.1f} (average of scored accounts)", *average)
                              : "- (no account has a score yet)"},
       {"high-volume plans",
        fmt::format("{} (needs {:.0f})", eligible ? "eligible" : "not eligible", threshold)}});
  ctx.out() << "\n";
  Table t({"ACCOUNT", "SCORE"});
  for (const auto& r : rows)
    t.add({r.account, r.score ? fmt::format("{:.1f}", *r.score) : "-"});
  t.print(ctx.out());
  return kExitOk;
}

int reputation_show(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("user", po::value<std::string>(), "account username")(
      "customer", po::value<std::string>(), "customer name");
  Options vm = parse_args(args, desc, {"user"});
  if ((vm.count("user") > 0) == (vm.count("customer") > 0))
    throw UsageError{"name an account or --customer NAME (one of them)"};
  if (vm.count("customer")) return show_customer(ctx, vm["customer"].as<std::string>());
  return show_account(ctx, vm["user"].as<std::string>());
}

Json change_json(const StandingChange& c) {
  const Reputation& r = c.assessment.reputation;
  return Json{
      {"account", c.username},
      {"score", r.score},
      {"previous_score", c.previous ? Json(c.previous->score) : Json(nullptr)},
      {"scored", c.assessment.scored},
      {"volume", c.assessment.volume},
      {"driver", c.assessment.driver ? Json(factor_key(*c.assessment.driver)) : Json(nullptr)},
      {"pool", c.pool.empty() ? Json(nullptr) : Json(c.pool)},
      {"move", c.move ? move_json(*c.move) : Json(nullptr)},
      {"guardrail", c.guardrail ? Json(describe(*c.guardrail)) : Json(nullptr)},
      {"paused", c.paused()},
      {"pause_reason", c.paused() ? Json(c.pause_reason) : Json(nullptr)}};
}

int reputation_recompute(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("user", po::value<std::string>(), "account username")("all", "every account");
  Options vm = parse_args(args, desc, {"user"});
  bool all = vm.count("all") > 0;
  if (all == (vm.count("user") > 0)) throw UsageError{"name an account or --all (one of them)"};
  TimePoint now = ctx.clock().now();
  std::vector<StandingChange> changes;
  Status s = ctx.change([&](LmdbEnv& env) {
    return env.write([&](WriteTxn& txn) -> Status {
      changes.clear();  // write() may run the function again
      if (all) {
        SENDPOOL_ASSIGN_OR_RETURN(changes, recompute_all_standings(txn, now));
        return ok_status();
      }
      std::string user = vm["user"].as<std::string>();
      SENDPOOL_ASSIGN_OR_RETURN(auto a, tables::get_account(txn, user));
      if (!a) return make_error(ErrorCode::kNotFound, fmt::format("no account named {}", user));
      SENDPOOL_ASSIGN_OR_RETURN(auto change, recompute_standing(txn, a->id, now));
      changes.push_back(std::move(change));
      return ok_status();
    });
  });
  if (!s) return ctx.fail(s.error());
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& c : changes)
      out.push_back(change_json(c));
    print_json(ctx.out(), out);
    return kExitOk;
  }
  for (const auto& c : changes)
    ctx.out() << c.summary() << "\n";
  return kExitOk;
}

}  // namespace

std::vector<Command> reputation_commands() {
  return {
      {"reputation", "show", reputation_show, "reputation show (USER | --customer NAME)"},
      {"reputation", "recompute", reputation_recompute, "reputation recompute (USER | --all)"},
  };
}

}  // namespace sendpool::ctl
