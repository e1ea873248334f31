#include "policyd/route_service.h"

#include <fmt/format.h>

#include "core/proto/return_path.h"
#include "core/store/tables.h"

namespace sendpool::policyd {

RouteService::RouteService(LmdbEnv& env, const Config& config, std::string secret,
                           const Logger& log)
    : env_(env), config_(config), secret_(std::move(secret)), log_(log) {}

std::string RouteService::lookup(std::string_view payload) {
  auto request = parse_socketmap_request(payload);
  if (!request) return socketmap_perm(request.error().message);
  if (request->name != kRouteTableName)
    return socketmap_perm(fmt::format("unknown table {}; sendpool serves \"{}\"",
                                      sanitize(request->name, 64), kRouteTableName));
  auto token = decode_return_path(request->key, config_.platform.return_path_domain, secret_);
  if (!token || token->kind != TokenKind::kBounce) return socketmap_notfound();
  std::string answer = socketmap_notfound();
  Status s = env_.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto account, tables::get_account_by_id(txn, token->account));
    if (!account) return ok_status();
    SENDPOOL_ASSIGN_OR_RETURN(
        Route route, route_for_account(txn, *account,
                                       DefaultPools{config_.policyd.default_transactional_pool,
                                                    config_.policyd.default_promotional_pool}));
    if (!route.transport.empty()) answer = socketmap_ok(route.transport);
    return ok_status();
  });
  if (!s) {
    log_.error("route: {}: {}", sanitize(request->key), s.error().message);
    return socketmap_temp("sendpool store unavailable");
  }
  return answer;
}

}  // namespace sendpool::policyd
