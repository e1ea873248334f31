// sendpoolctl pool add | list | show | remove | postfix-config
#include <fmt/format.h>

#include "core/store/admin.h"
#include "core/store/tables.h"
#include "tools/sendpoolctl/cli.h"
#include "tools/sendpoolctl/output.h"

namespace sendpool::ctl {
namespace {

Result<std::vector<Pool>> read_pools(Context& ctx) {
  std::vector<Pool> pools;
  SENDPOOL_TRY(ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(pools, tables::list_pools(txn));
    return ok_status();
  }));
  return pools;
}

int pool_add(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("name", po::value<std::string>()->required(), "pool name")(
      "category", po::value<std::string>()->required(), "transactional|promotional")(
      "min-score", po::value<std::string>()->required(), "minimum reputation score 0..100")(
      "transport", po::value<std::string>()->required(), "Postfix master.cf service name")(
      "bind", po::value<std::string>()->required(), "IPv4[,IPv6] source addresses")(
      "helo", po::value<std::string>()->required(), "HELO name")(
      "nexthop", po::value<std::string>(), "fixed next hop, e.g. [127.0.0.1]:2526");
  Options vm = parse_args(args, desc, {"name"});
  Pool p;
  p.name = vm["name"].as<std::string>();
  auto category = parse_account_type(vm["category"].as<std::string>());
  if (!category) throw UsageError{"--category must be transactional or promotional"};
  p.category = *category;
  p.min_score = static_cast<uint32_t>(count_arg(vm, "min-score", 0, 100));
  p.transport = vm["transport"].as<std::string>();
  std::string bind = vm["bind"].as<std::string>();
  for (size_t start = 0; start <= bind.size();) {
    size_t comma = bind.find(',', start);
    std::string part =
        bind.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    (part.find(':') == std::string::npos ? p.bind_ipv4 : p.bind_ipv6) = part;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  p.helo = vm["helo"].as<std::string>();
  if (vm.count("nexthop")) p.nexthop = vm["nexthop"].as<std::string>();
  for (char c : p.nexthop)
    if (c <= ' ' || c == ',' || c >= 0x7f)
      throw UsageError{"--nexthop must be one Postfix next hop"};
  Status s = ctx.change([&](LmdbEnv& env) { return admin::add_pool(env, p); }, true);
  if (!s) return ctx.fail(s.error());
  if (ctx.json())
    print_json(ctx.out(), to_json(p));
  else
    ctx.out() << fmt::format("pool {} added ({} from score {}, transport {})\n", p.name,
                             to_string(p.category), p.min_score, p.transport);
  return kExitOk;
}

int pool_list(Context& ctx, const std::vector<std::string>& args) {
  parse_args(args, po::options_description(), {});
  auto pools = read_pools(ctx);
  if (!pools) return ctx.fail(pools.error());
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& p : *pools)
      out.push_back(to_json(p));
    print_json(ctx.out(), out);
    return kExitOk;
  }
  Table t({"POOL", "CATEGORY", "MIN SCORE", "TRANSPORT", "BIND", "HELO", "NEXTHOP"});
  for (const auto& p : *pools) {
    std::string bind = p.bind_ipv4;
    if (!p.bind_ipv6.empty()) bind += (bind.empty() ? "" : ",") + p.bind_ipv6;
    t.add({p.name, std::string(to_string(p.category)), std::to_string(p.min_score), p.transport,
           bind, p.helo, p.nexthop.empty() ? "-" : p.nexthop});
  }
  t.print(ctx.out());
  return kExitOk;
}

int pool_show(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("name", po::value<std::string>()->required(), "pool name");
  Options vm = parse_args(args, desc, {"name"});
  std::string name = vm["name"].as<std::string>();
  std::optional<Pool> pool;
  std::vector<std::string> members;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(pool, tables::get_pool(txn, name));
    if (!pool) return make_error(ErrorCode::kNotFound, fmt::format("no pool named {}", name));
    SENDPOOL_ASSIGN_OR_RETURN(auto accounts, tables::list_accounts(txn));
    for (const auto& a : accounts)
      if (a.pool == name) members.push_back(a.username);
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  if (ctx.json()) {
    Json j = to_json(*pool);
    j["accounts"] = members;
    print_json(ctx.out(), j);
    return kExitOk;
  }
  print_fields(ctx.out(), {{"pool", pool->name},
                           {"category", std::string(to_string(pool->category))},
                           {"min score", std::to_string(pool->min_score)},
                           {"transport", pool->transport},
                           {"bind IPv4", pool->bind_ipv4.empty() ? "-" : pool->bind_ipv4},
                           {"bind IPv6", pool->bind_ipv6.empty() ? "-" : pool->bind_ipv6},
                           {"HELO", pool->helo},
                           {"next hop", pool->nexthop.empty() ? "-" : pool->nexthop},
                           {"accounts", std::to_string(members.size())}});
  return kExitOk;
}

int pool_remove(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("name", po::value<std::string>()->required(), "pool name");
  Options vm = parse_args(args, desc, {"name"});
  std::string name = vm["name"].as<std::string>();
  Status s = ctx.change([&](LmdbEnv& env) { return admin::remove_pool(env, name); });
  if (!s) return ctx.fail(s.error());
  if (!ctx.json()) ctx.out() << fmt::format("pool {} removed\n", name);
  return kExitOk;
}

// How Postfix names a listen spec: unix sockets inside its queue directory (where chrooted
// daemons live) relative to it, as Postfix resolves them; others as they are.
std::string postfix_socket_name(const ListenSpec& spec) {
  constexpr std::string_view kQueueDirectory = "/var/spool/postfix/";
  if (spec.kind == ListenSpec::Kind::kUnix && spec.path.rfind(kQueueDirectory, 0) == 0)
    return "unix:" + spec.path.substr(kQueueDirectory.size());
  return spec.text;
}

// The master.cf services and main.cf lines that make each pool a Postfix transport.
int pool_postfix_config(Context& ctx, const std::vector<std::string>& args) {
  parse_args(args, po::options_description(), {});
  auto pools = read_pools(ctx);
  if (!pools) return ctx.fail(pools.error());
  std::string master, main_cf;
  for (const auto& p : *pools) {
    master +=
        fmt::format("# pool {} ({}, from score {})\n", p.name, to_string(p.category), p.min_score);
    master +=
        fmt::format("{:<10} unix  -       -       n       -       -       smtp\n", p.transport);
    if (!p.bind_ipv4.empty()) master += fmt::format("  -o smtp_bind_address={}\n", p.bind_ipv4);
    if (!p.bind_ipv6.empty()) master += fmt::format("  -o smtp_bind_address6={}\n", p.bind_ipv6);
    master += fmt::format("  -o smtp_helo_name={}\n", p.helo);
    master += fmt::format("  -o syslog_name=postfix/{}\n", p.transport);
  }
  main_cf += "# pools are chosen per message by sendpool-policyd's route listener\n";
  main_cf += fmt::format("sender_dependent_default_transport_maps = socketmap:{}:route\n",
                         postfix_socket_name(ctx.config().policyd.route_listen));
  if (ctx.json()) {
    print_json(ctx.out(), Json{{"master_cf", master}, {"main_cf", main_cf}});
    return kExitOk;
  }
  ctx.out() << "# --- master.cf ---\n" << master << "\n# --- main.cf ---\n" << main_cf;
  return kExitOk;
}

}  // namespace

std::vector<Command> pool_commands() {
  return {
      {"pool", "add", pool_add,
       "pool add NAME --category C --min-score S --transport T --bind IP[,IP6] --helo NAME "
       "[--nexthop HOP]"},
      {"pool", "list", pool_list, "pool list"},
      {"pool", "show", pool_show, "pool show NAME"},
      {"pool", "remove", pool_remove, "pool remove NAME"},
      {"pool", "postfix-config", pool_postfix_config, "pool postfix-config"},
  };
}

}  // namespace sendpool::ctl
