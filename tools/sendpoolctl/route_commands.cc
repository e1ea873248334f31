// sendpoolctl route show USER: where an account's mail leaves from now, and why.
#include <fmt/format.h>

#include "core/base/civil_time.h"
#include "core/daemon/secret_file.h"
#include "core/proto/return_path.h"
#include "core/store/routing.h"
#include "core/store/tables.h"
#include "tools/sendpoolctl/cli.h"
#include "tools/sendpoolctl/output.h"

namespace sendpool::ctl {
namespace {

int route_show(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("user", po::value<std::string>()->required(), "account username");
  Options vm = parse_args(args, desc, {"user"});
  const Config& config = ctx.config();
  if (config.platform.return_path_domain.empty() || config.platform.token_secret_file.empty())
    return ctx.fail(make_error(
        ErrorCode::kRefused,
        "route show needs platform.return_path_domain and platform.token_secret_file configured"));
  auto secret = load_secret_file(config.platform.token_secret_file);
  if (!secret) return ctx.fail(secret.error());
  auto tag = new_message_tag();
  if (!tag) return ctx.fail(tag.error());

  std::string user = vm["user"].as<std::string>();
  std::optional<Account> account;
  Route route;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(account, tables::get_account(txn, user));
    if (!account) return make_error(ErrorCode::kNotFound, fmt::format("no account named {}", user));
    SENDPOOL_ASSIGN_OR_RETURN(
        route, route_for_account(txn, *account,
                                 DefaultPools{config.policyd.default_transactional_pool,
                                              config.policyd.default_promotional_pool}));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  ReturnPathToken token{TokenKind::kBounce, account->id, day_number(day_of(ctx.clock().now())),
                        *tag};
  std::string return_path = encode_return_path(token, config.platform.return_path_domain, *secret);
  std::string why =
      route.pool.empty() ? "no pool assigned and no default pool configured for its category: "
                           "Postfix uses default_transport"
      : route.default_pool
          ? fmt::format("no pool assigned yet: the default {} pool", to_string(account->type))
          : "assigned from its reputation";
  if (ctx.json()) {
    print_json(ctx.out(),
               Json{{"account", account->username},
                    {"return_path", return_path},
                    {"transport", route.transport.empty() ? Json(nullptr) : Json(route.transport)},
                    {"pool", route.pool.empty() ? Json(nullptr) : Json(route.pool)},
                    {"default_pool", route.default_pool}});
    return kExitOk;
  }
  print_fields(ctx.out(),
               {{"account", account->username},
                {"return path", return_path + " (the tag changes per message)"},
                {"route answer", route.transport.empty() ? "NOTFOUND" : "OK " + route.transport},
                {"pool", route.pool.empty() ? "-" : route.pool},
                {"why", why}});
  return kExitOk;
}

}  // namespace

std::vector<Command> route_commands() {
  return {{"route", "show", route_show, "route show USER"}};
}

}  // namespace sendpool::ctl
