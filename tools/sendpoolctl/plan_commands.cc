// sendpoolctl plan add | list | show
#include <fmt/format.h>

#include "core/store/admin.h"
#include "core/store/tables.h"
#include "tools/sendpoolctl/cli.h"
#include "tools/sendpoolctl/output.h"

namespace sendpool::ctl {
namespace {

constexpr uint64_t kMaxCount = uint64_t{1} << 53;  // exact in JSON numbers

std::string quota_text(const Plan& p) {
  switch (p.kind) {
    case PlanKind::kPrepaid:
      return fmt::format("{} valid {} days", p.messages, p.valid_days);
    case PlanKind::kFree:
    case PlanKind::kMonthly:
      return fmt::format("{} per month", p.messages);
  }
  return "";
}

int plan_add(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("name", po::value<std::string>()->required(), "plan name")(
      "kind", po::value<std::string>()->required(), "free|monthly|prepaid")(
      "messages", po::value<std::string>()->required(), "messages per period or package")(
      "hourly-limit", po::value<std::string>(), "messages per hour (0 = unlimited)")(
      "max-recipients", po::value<std::string>(), "recipients per message (0 = unlimited)")(
      "max-size", po::value<std::string>(), "bytes per message (0 = unlimited)")(
      "valid-days", po::value<std::string>(), "prepaid validity in days (default 365)");
  Options vm = parse_args(args, desc, {"name"});
  Plan p;
  p.name = vm["name"].as<std::string>();
  auto kind = parse_plan_kind(vm["kind"].as<std::string>());
  if (!kind) throw UsageError{"--kind must be free, monthly or prepaid"};
  p.kind = *kind;
  p.messages = count_arg(vm, "messages", 1, kMaxCount);
  p.hourly_limit = static_cast<uint32_t>(count_arg(vm, "hourly-limit", 0, UINT32_MAX, 0));
  p.max_recipients = static_cast<uint32_t>(count_arg(vm, "max-recipients", 0, UINT32_MAX, 0));
  p.max_size = count_arg(vm, "max-size", 0, kMaxCount, 0);
  if (vm.count("valid-days") && p.kind != PlanKind::kPrepaid)
    throw UsageError{"--valid-days applies to prepaid plans only"};
  p.valid_days = static_cast<uint32_t>(count_arg(vm, "valid-days", 1, 36500, 365));
  Status s = ctx.change([&](LmdbEnv& env) { return admin::add_plan(env, p); }, true);
  if (!s) return ctx.fail(s.error());
  if (ctx.json())
    print_json(ctx.out(), to_json(p));
  else
    ctx.out() << fmt::format("plan {} added: {} {}\n", p.name, to_string(p.kind), quota_text(p));
  return kExitOk;
}

int plan_list(Context& ctx, const std::vector<std::string>& args) {
  parse_args(args, po::options_description(), {});
  std::vector<Plan> plans;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(plans, tables::list_plans(txn));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& p : plans)
      out.push_back(to_json(p));
    print_json(ctx.out(), out);
    return kExitOk;
  }
  Table t({"PLAN", "KIND", "MESSAGES", "PER HOUR", "RCPT/MSG", "MAX SIZE"});
  for (const auto& p : plans)
    t.add({p.name, std::string(to_string(p.kind)), quota_text(p), limit_text(p.hourly_limit),
           limit_text(p.max_recipients), limit_text(p.max_size)});
  t.print(ctx.out());
  return kExitOk;
}

int plan_show(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("name", po::value<std::string>()->required(), "plan name");
  Options vm = parse_args(args, desc, {"name"});
  std::string name = vm["name"].as<std::string>();
  std::optional<Plan> plan;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(plan, tables::get_plan(txn, name));
    if (!plan) return make_error(ErrorCode::kNotFound, fmt::format("no plan named {}", name));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  if (ctx.json()) {
    print_json(ctx.out(), to_json(*plan));
    return kExitOk;
  }
  print_fields(ctx.out(), {{"plan", plan->name},
                           {"kind", std::string(to_string(plan->kind))},
                           {"messages", quota_text(*plan)},
                           {"messages per hour", limit_text(plan->hourly_limit)},
                           {"recipients per message", limit_text(plan->max_recipients)},
                           {"max message size", limit_text(plan->max_size)}});
  return kExitOk;
}

}  // namespace

std::vector<Command> plan_commands() {
  return {
      {"plan", "add", plan_add,
       "plan add NAME --kind free|monthly|prepaid --messages N [--hourly-limit N] "
       "[--max-recipients N] [--max-size BYTES] [--valid-days N]"},
      {"plan", "list", plan_list, "plan list"},
      {"plan", "show", plan_show, "plan show NAME"},
  };
}

}  // namespace sendpool::ctl
