// RouteConnection: one socketmap connection from Postfix (netstring requests and replies).
// Security: see Connection; netstrings are bounded by kMaxNetstringLength.
// Thread-safety: event loop thread only.
#pragma once

#include "core/proto/netstring.h"
#include "policyd/connection.h"
#include "policyd/route_service.h"

namespace sendpool::policyd {

// Longest socketmap request we accept: a table name and an address fit in far less.
inline constexpr size_t kMaxRouteRequestLength = 1024;

class RouteConnection final : public Connection {
 public:
  RouteConnection(std::unique_ptr<ByteStream> stream, ConnectionSlot slot, const Logger& log,
                  RouteService& service);

 private:
  Status on_data(std::string_view bytes) override;

  RouteService& service_;
  NetstringParser parser_{kMaxRouteRequestLength};
};

}  // namespace sendpool::policyd
