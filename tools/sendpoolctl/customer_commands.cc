// sendpoolctl customer add | list | show | remove
#include <fmt/format.h>

#include "core/model/rules.h"
#include "core/store/admin.h"
#include "core/store/tables.h"
#include "tools/sendpoolctl/cli.h"
#include "tools/sendpoolctl/output.h"

namespace sendpool::ctl {
namespace {

// A customer with its accounts' names and scores.
struct CustomerView {
  Customer customer;
  std::vector<std::pair<std::string, std::optional<double>>> accounts;
  std::optional<double> reputation;
};

Result<std::vector<CustomerView>> customer_views(const ReadTxn& txn,
                                                 std::optional<std::string> only) {
  SENDPOOL_ASSIGN_OR_RETURN(auto customers, tables::list_customers(txn));
  SENDPOOL_ASSIGN_OR_RETURN(auto accounts, tables::list_accounts(txn));
  std::vector<CustomerView> out;
  for (auto& c : customers) {
    if (only && c.name != *only) continue;
    CustomerView v{c, {}, std::nullopt};
    std::vector<std::optional<double>> scores;
    for (const auto& a : accounts) {
      if (a.customer != c.name) continue;
      SENDPOOL_ASSIGN_OR_RETURN(auto rep, tables::get_reputation(txn, a.id));
      std::optional<double> score;
      if (rep) score = rep->score;
      v.accounts.emplace_back(a.username, score);
      scores.push_back(score);
    }
    v.reputation = customer_reputation(scores);
    out.push_back(std::move(v));
  }
  if (only && out.empty())
    return make_error(ErrorCode::kNotFound, fmt::format("no customer named {}", *only));
  return out;
}

std::string score_text(std::optional<double> s) {
  return s ? fmt::format("{:.1f}", *s) : std::string("-");
}

Json view_json(const CustomerView& v) {
  Json j = to_json(v.customer);
  Json accounts = Json::array();
  for (const auto& [name, score] : v.accounts)
    accounts.push_back(name);
  j["accounts"] = accounts;
  j["reputation"] = v.reputation ? Json(*v.reputation) : Json(nullptr);
  return j;
}

int customer_add(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("name", po::value<std::string>()->required(), "customer name")(
      "max-accounts", po::value<std::string>(), "maximum number of accounts (default 10)");
  Options vm = parse_args(args, desc, {"name"});
  Customer c;
  c.name = vm["name"].as<std::string>();
  c.max_accounts = static_cast<uint32_t>(count_arg(vm, "max-accounts", 1, kMaxAccountsCeiling, 10));
  Status s =
      ctx.change([&](LmdbEnv& env) { return admin::add_customer(env, c, ctx.clock()); }, true);
  if (!s) return ctx.fail(s.error());
  if (ctx.json())
    print_json(ctx.out(), Json{{"name", c.name}, {"max_accounts", c.max_accounts}});
  else
    ctx.out() << fmt::format("customer {} added (at most {} accounts)\n", c.name, c.max_accounts);
  return kExitOk;
}

int customer_list(Context& ctx, const std::vector<std::string>& args) {
  parse_args(args, po::options_description(), {});
  std::vector<CustomerView> views;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(views, customer_views(txn, std::nullopt));
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
  Table t({"CUSTOMER", "ACCOUNTS", "REPUTATION"});
  for (const auto& v : views)
    t.add({v.customer.name, fmt::format("{}/{}", v.accounts.size(), v.customer.max_accounts),
           score_text(v.reputation)});
  t.print(ctx.out());
  return kExitOk;
}

int customer_show(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("name", po::value<std::string>()->required(), "customer name");
  Options vm = parse_args(args, desc, {"name"});
  std::vector<CustomerView> views;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(views, customer_views(txn, vm["name"].as<std::string>()));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  const CustomerView& v = views.front();
  if (ctx.json()) {
    print_json(ctx.out(), view_json(v));
    return kExitOk;
  }
  print_fields(ctx.out(),
               {{"customer", v.customer.name},
                {"accounts", fmt::format("{} of {}", v.accounts.size(), v.customer.max_accounts)},
                {"reputation", score_text(v.reputation)}});
  if (!v.accounts.empty()) {
    ctx.out() << "\n";
    Table t({"ACCOUNT", "SCORE"});
    for (const auto& [name, score] : v.accounts)
      t.add({name, score_text(score)});
    t.print(ctx.out());
  }
  return kExitOk;
}

int customer_remove(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("name", po::value<std::string>()->required(), "customer name");
  Options vm = parse_args(args, desc, {"name"});
  std::string name = vm["name"].as<std::string>();
  Status s = ctx.change([&](LmdbEnv& env) { return admin::remove_customer(env, name); });
  if (!s) return ctx.fail(s.error());
  if (!ctx.json()) ctx.out() << fmt::format("customer {} removed\n", name);
  return kExitOk;
}

}  // namespace

std::vector<Command> customer_commands() {
  return {
      {"customer", "add", customer_add, "customer add NAME [--max-accounts N]"},
      {"customer", "list", customer_list, "customer list"},
      {"customer", "show", customer_show, "customer show NAME"},
      {"customer", "remove", customer_remove, "customer remove NAME"},
  };
}

}  // namespace sendpool::ctl
