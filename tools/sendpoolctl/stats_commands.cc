// sendpoolctl stats USER | stats --customer NAME; reputation show USER | --customer NAME
#include <fmt/format.h>

#include "core/base/civil_time.h"
#include "core/model/rules.h"
#include "core/store/tables.h"
#include "tools/sendpoolctl/cli.h"
#include "tools/sendpoolctl/output.h"

namespace sendpool::ctl {
namespace {

using Days = std::vector<std::pair<Date, DayCounters>>;

// The accounts a stats or reputation command is about: one account, or a customer's.
Result<std::vector<Account>> target_accounts(const ReadTxn& txn, const Options& vm) {
  if (vm.count("customer")) {
    std::string name = vm["customer"].as<std::string>();
    SENDPOOL_ASSIGN_OR_RETURN(auto c, tables::get_customer(txn, name));
    if (!c) return make_error(ErrorCode::kNotFound, fmt::format("no customer named {}", name));
    SENDPOOL_ASSIGN_OR_RETURN(auto all, tables::list_accounts(txn));
    std::vector<Account> out;
    for (auto& a : all)
      if (a.customer == name) out.push_back(std::move(a));
    return out;
  }
  std::string user = vm["user"].as<std::string>();
  SENDPOOL_ASSIGN_OR_RETURN(auto a, tables::get_account(txn, user));
  if (!a) return make_error(ErrorCode::kNotFound, fmt::format("no account named {}", user));
  return std::vector<Account>{*a};
}

Options target_args(const std::vector<std::string>& args, po::options_description desc) {
  desc.add_options()("user", po::value<std::string>(), "account username")(
      "customer", po::value<std::string>(), "customer name");
  Options vm = parse_args(args, desc, {"user"});
  if ((vm.count("user") > 0) == (vm.count("customer") > 0))
    throw UsageError{"name an account or --customer NAME (one of them)"};
  return vm;
}

int stats(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("days", po::value<std::string>(), "days to show, today included (default 7)");
  Options vm = target_args(args, desc);
  auto n_days = static_cast<int>(count_arg(vm, "days", 1, 3660, 7));
  Date today = day_of(ctx.clock().now());
  Date from = today - std::chrono::days{n_days - 1};
  std::map<Date, DayCounters> by_day;
  std::vector<std::string> names;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto accounts, target_accounts(txn, vm));
    for (const auto& a : accounts) {
      names.push_back(a.username);
      SENDPOOL_TRY(tables::scan_counters(txn, a.id, from, today + std::chrono::days{1},
                                         [&](Date d, const DayCounters& c) { by_day[d] += c; }));
    }
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  DayCounters total;
  for (const auto& [d, c] : by_day)
    total += c;
  if (ctx.json()) {
    Json days = Json::array();
    for (const auto& [d, c] : by_day) {
      Json j = to_json(c);
      j["date"] = format_date(d);
      days.push_back(j);
    }
    Json out{{"from", format_date(from)},
             {"to", format_date(today)},
             {"accounts", names},
             {"days", days},
             {"total", to_json(total)}};
    if (vm.count("customer"))
      out["customer"] = vm["customer"].as<std::string>();
    else
      out["account"] = vm["user"].as<std::string>();
    print_json(ctx.out(), out);
    return kExitOk;
  }
  Table t({"DAY", "ACCEPTED", "ENQUEUED", "DELIVERED", "BOUNCED", "SUPPRESSED", "COMPLAINTS",
           "UNSUBS", "OPENS", "CLICKS"});
  auto row = [&](const std::string& label, const DayCounters& c) {
    t.add({label, std::to_string(c.accepted), std::to_string(c.enqueued),
           std::to_string(c.delivered), std::to_string(c.bounced), std::to_string(c.suppressed),
           std::to_string(c.complaints), std::to_string(c.unsubscribes), std::to_string(c.opens),
           std::to_string(c.clicks)});
  };
  for (const auto& [d, c] : by_day)
    row(format_date(d), c);
  row("total", total);
  t.print(ctx.out());
  return kExitOk;
}

int reputation_show(Context& ctx, const std::vector<std::string>& args) {
  Options vm = target_args(args, po::options_description());
  struct Row {
    Account account;
    std::optional<Reputation> reputation;
  };
  std::vector<Row> rows;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto accounts, target_accounts(txn, vm));
    for (auto& a : accounts) {
      SENDPOOL_ASSIGN_OR_RETURN(auto rep, tables::get_reputation(txn, a.id));
      rows.push_back(Row{std::move(a), rep});
    }
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  auto score_json = [](const std::optional<Reputation>& r) {
    return r ? to_json(*r) : Json(nullptr);
  };
  if (!vm.count("customer")) {
    const Row& r = rows.front();
    if (ctx.json()) {
      print_json(ctx.out(),
                 Json{{"account", r.account.username},
                      {"reputation", score_json(r.reputation)},
                      {"pool", r.account.pool.empty() ? Json(nullptr) : Json(r.account.pool)},
                      {"status", to_string(r.account.status)}});
      return kExitOk;
    }
    std::vector<std::pair<std::string, std::string>> f{{"account", r.account.username}};
    if (r.reputation) {
      f.emplace_back("score", fmt::format("{:.1f}", r.reputation->score));
      f.emplace_back("bounce rate", fmt::format("{:.2f}%", 100 * r.reputation->bounce_rate));
      f.emplace_back("complaint rate", fmt::format("{:.3f}%", 100 * r.reputation->complaint_rate));
      f.emplace_back("unsubscribe rate",
                     fmt::format("{:.2f}%", 100 * r.reputation->unsubscribe_rate));
      f.emplace_back("engagement rate",
                     fmt::format("{:.2f}%", 100 * r.reputation->engagement_rate));
      f.emplace_back("computed", format_timestamp(r.reputation->computed));
    } else {
      f.emplace_back("score", "- (not computed yet)");
    }
    f.emplace_back("pool", r.account.pool.empty() ? "- (not assigned yet)" : r.account.pool);
    f.emplace_back("status", std::string(to_string(r.account.status)));
    print_fields(ctx.out(), f);
    return kExitOk;
  }
  std::vector<std::optional<double>> scores;
  for (const auto& r : rows)
    scores.push_back(r.reputation ? std::optional<double>(r.reputation->score) : std::nullopt);
  auto average = customer_reputation(scores);
  double threshold = ctx.config().reputation.high_volume_min_score;
  bool eligible = average && *average >= threshold;
  if (ctx.json()) {
    Json accounts = Json::array();
    for (const auto& r : rows)
      accounts.push_back(Json{{"account", r.account.username},
                              {"score", r.reputation ? Json(r.reputation->score) : Json(nullptr)}});
    print_json(ctx.out(), Json{{"customer", vm["customer"].as<std::string>()},
                               {"reputation", average ? Json(*average) : Json(nullptr)},
                               {"high_volume_eligible", eligible},
                               {"high_volume_min_score", threshold},
                               {"accounts", accounts}});
    return kExitOk;
  }
  print_fields(
      ctx.out(),
      {{"customer", vm["customer"].as<std::string>()},
       {"reputation", average ? fmt::format("{:.1f} (average of scored accounts)", *average)
                              : "- (no account has a score yet)"},
       {"high-volume plans",
        fmt::format("{} (needs {:.0f})", eligible ? "eligible" : "not eligible", threshold)}});
  ctx.out() << "\n";
  Table t({"ACCOUNT", "SCORE"});
  for (const auto& r : rows)
    t.add({r.account.username, r.reputation ? fmt::format("{:.1f}", r.reputation->score) : "-"});
  t.print(ctx.out());
  return kExitOk;
}

}  // namespace

std::vector<Command> stats_commands() {
  return {
      {"stats", nullptr, stats, "stats (USER | --customer NAME) [--days N]"},
      {"reputation", "show", reputation_show, "reputation show (USER | --customer NAME)"},
  };
}

}  // namespace sendpool::ctl
