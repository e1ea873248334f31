// sendpoolctl stats USER | stats --customer NAME (reputation: reputation_commands.cc)
#include <fmt/format.h>

#include "core/base/civil_time.h"
#include "core/store/tables.h"
#include "tools/sendpoolctl/cli.h"
#include "tools/sendpoolctl/output.h"

namespace sendpool::ctl {
namespace {

using Days = std::vector<std::pair<Date, DayCounters>>;

// The accounts a stats command is about: one account, or a customer's.
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

}  // namespace

std::vector<Command> stats_commands() {
  return {
      {"stats", nullptr, stats, "stats (USER | --customer NAME) [--days N]"},
  };
}

}  // namespace sendpool::ctl
