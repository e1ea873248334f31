#include "policyd/listener.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sendpool::policyd {

namespace asio = boost::asio;
using generic_stream = asio::generic::stream_protocol;

Listener::Listener(asio::io_context& io, ListenSpec spec, std::string name, const Logger& log,
                   Factory factory)
    : io_(io),
      spec_(std::move(spec)),
      name_(std::move(name)),
      log_(log),
      factory_(std::move(factory)),
      acceptor_(io) {}

Listener::~Listener() {
  stop();
}

Status Listener::open() {
  boost::system::error_code ec;
  generic_stream::endpoint endpoint;
  if (spec_.kind == ListenSpec::Kind::kUnix) {
    ::unlink(spec_.path.c_str());
    endpoint = generic_stream::endpoint(asio::local::stream_protocol::endpoint(spec_.path));
  } else {
    auto address = asio::ip::make_address(spec_.host == "localhost" ? "127.0.0.1" : spec_.host, ec);
    if (ec)
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: {} is not an IP address", spec_.text, spec_.host));
    endpoint = generic_stream::endpoint(asio::ip::tcp::endpoint(address, spec_.port));
  }
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec && spec_.kind == ListenSpec::Kind::kInet)
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot listen on {} ({}): {}", spec_.text, name_, ec.message()));
  if (spec_.kind == ListenSpec::Kind::kUnix) ::chmod(spec_.path.c_str(), 0666);
  return ok_status();
}

void Listener::start() {
  accept_next();
}

void Listener::stop() {
  boost::system::error_code ignored;
  if (acceptor_.is_open()) {
    acceptor_.close(ignored);
    if (spec_.kind == ListenSpec::Kind::kUnix) ::unlink(spec_.path.c_str());
  }
}

void Listener::accept_next() {
  acceptor_.async_accept(
      [this](const boost::system::error_code& ec, generic_stream::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) {
          log_.warning("{}: accept failed: {}", name_, ec.message());
        } else if (*active_ >= kMaxConnectionsPerListener) {
          log_.warning("{}: {} connections open, refusing one more", name_, *active_);
        } else {
          ++*active_;
          std::shared_ptr<size_t> active = active_;
          ConnectionSlot slot(nullptr, [active](void*) { --*active; });
          factory_(make_socket_stream(std::move(socket)), std::move(slot));
        }
        accept_next();
      });
}

}  // namespace sendpool::policyd
