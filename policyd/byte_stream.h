// ByteStream: the transport under one protocol connection (a socket, or stdin/stdout when
// Postfix's spawn(8) runs us), so each connection class is written once.
// Thread-safety: used only from the event loop thread.
#pragma once

#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>

namespace sendpool::policyd {

class ByteStream {
 public:
  using ReadHandler = std::function<void(const boost::system::error_code&, size_t)>;
  using WriteHandler = std::function<void(const boost::system::error_code&)>;

  virtual ~ByteStream() = default;
  // Reads some bytes into `buffer`.
  virtual void read_some(boost::asio::mutable_buffer buffer, ReadHandler handler) = 0;
  // Writes all of `data` (kept alive by the stream until the handler runs).
  virtual void write_all(std::shared_ptr<const std::string> data, WriteHandler handler) = 0;
  virtual void close() = 0;
  // Who is on the other end, for logs ("unix", "127.0.0.1:40112", "stdio").
  virtual std::string peer() const = 0;
};

// A connected socket of any family (unix or TCP).
std::unique_ptr<ByteStream> make_socket_stream(
    boost::asio::generic::stream_protocol::socket socket);

// Standard input and output.
std::unique_ptr<ByteStream> make_stdio_stream(boost::asio::io_context& io);

}  // namespace sendpool::policyd
