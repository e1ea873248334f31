// Listener: accepts connections on one listen spec (unix:/path or inet:host:port) and hands
// each to a connection factory.
//
// A unix socket path left by a previous run is removed before binding and the socket is made
// mode 0666 (the directory, e.g. Postfix's private/, is what restricts access). The number of
// simultaneous connections is capped; beyond it new ones are closed at once and logged.
// Security: anyone who can reach the socket can talk to us; every protocol parser behind it
// bounds its input.
// Thread-safety: event loop thread only.
#pragma once

#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/base/log.h"
#include "core/base/result.h"
#include "core/daemon/listen_spec.h"
#include "policyd/byte_stream.h"

namespace sendpool::policyd {

inline constexpr size_t kMaxConnectionsPerListener = 2000;

// Held by a connection for its lifetime; releases its place in the listener's cap.
using ConnectionSlot = std::shared_ptr<void>;

class Listener {
 public:
  using Factory = std::function<void(std::unique_ptr<ByteStream>, ConnectionSlot)>;

  Listener(boost::asio::io_context& io, ListenSpec spec, std::string name, const Logger& log,
           Factory factory);
  ~Listener();

  // Binds and listens; an error names the spec and the system's reason.
  Status open();
  void start();
  void stop();

 private:
  void accept_next();

  boost::asio::io_context& io_;
  ListenSpec spec_;
  std::string name_;
  const Logger& log_;
  Factory factory_;
  boost::asio::basic_socket_acceptor<boost::asio::generic::stream_protocol> acceptor_;
  std::shared_ptr<size_t> active_ = std::make_shared<size_t>(0);
};

}  // namespace sendpool::policyd
