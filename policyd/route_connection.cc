#include "policyd/route_connection.h"

namespace sendpool::policyd {

RouteConnection::RouteConnection(std::unique_ptr<ByteStream> stream, ConnectionSlot slot,
                                 const Logger& log, RouteService& service)
    : Connection(std::move(stream), std::move(slot), log, "route"), service_(service) {}

Status RouteConnection::on_data(std::string_view bytes) {
  std::vector<std::string> requests;
  SENDPOOL_TRY(parser_.feed(bytes, requests));
  for (const auto& payload : requests)
    send(format_netstring(service_.lookup(payload)));
  return ok_status();
}

}  // namespace sendpool::policyd
