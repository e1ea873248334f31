// Connection: the I/O shared by the three listeners' connections (policy, route, auth).
//
// Reads into a fixed buffer and hands each chunk to the protocol subclass, which feeds its
// incremental parser and answers through send(). Writes are queued and go out in order. A
// subclass returns an error from on_data() for protocol garbage: the connection is logged
// (sanitised) and closed without a reply, as the Postfix protocols expect.
// Security: peers are Postfix processes, but anything reaching the socket is parsed with
// bounded buffers; memory per connection is bounded by the parsers' limits.
// Thread-safety: event loop thread only.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <string>

#include "core/base/log.h"
#include "core/base/result.h"
#include "policyd/byte_stream.h"
#include "policyd/listener.h"

namespace sendpool::policyd {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::unique_ptr<ByteStream> stream, ConnectionSlot slot, const Logger& log,
             std::string name);
  virtual ~Connection() = default;

  void start();
  void close();

 protected:
  // A chunk of bytes from the peer; an error closes the connection.
  virtual Status on_data(std::string_view bytes) = 0;
  // Called once when the connection ends, for whatever reason.
  virtual void on_close() {}
  // Called once after start(), before reading (for greetings).
  virtual void on_open() {}

  void send(std::string data);
  bool is_open() const { return open_; }
  const std::string& peer() const { return peer_; }
  const Logger& log() const { return log_; }
  const std::string& name() const { return name_; }

 private:
  void read_next();
  void write_next();

  std::unique_ptr<ByteStream> stream_;
  ConnectionSlot slot_;
  const Logger& log_;
  std::string name_;
  std::string peer_;
  std::array<char, 8192> buffer_{};
  std::deque<std::shared_ptr<const std::string>> outbox_;
  bool writing_ = false;
  bool open_ = true;
};

}  // namespace sendpool::policyd
