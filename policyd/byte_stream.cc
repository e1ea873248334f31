#include "policyd/byte_stream.h"

#include <unistd.h>

namespace sendpool::policyd {
namespace {

namespace asio = boost::asio;

class SocketStream final : public ByteStream {
 public:
  explicit SocketStream(asio::generic::stream_protocol::socket socket)
      : socket_(std::move(socket)) {}

  void read_some(asio::mutable_buffer buffer, ReadHandler handler) override {
    socket_.async_read_some(buffer, std::move(handler));
  }

  void write_all(std::shared_ptr<const std::string> data, WriteHandler handler) override {
    asio::async_write(socket_, asio::buffer(*data),
                      [data, handler = std::move(handler)](const boost::system::error_code& ec,
                                                           size_t) { handler(ec); });
  }

  void close() override {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  std::string peer() const override {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (ec) return "unknown";
    if (ep.protocol().family() == AF_UNIX) return "unix";
    const sockaddr* sa = ep.data();
    if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
      asio::ip::tcp::endpoint tcp;
      std::memcpy(tcp.data(), sa, ep.size());
      return tcp.address().to_string() + ":" + std::to_string(tcp.port());
    }
    return "unknown";
  }

 private:
  asio::generic::stream_protocol::socket socket_;
};

class StdioStream final : public ByteStream {
 public:
  explicit StdioStream(asio::io_context& io)
      : in_(io, ::dup(STDIN_FILENO)), out_(io, ::dup(STDOUT_FILENO)) {}

  void read_some(asio::mutable_buffer buffer, ReadHandler handler) override {
    in_.async_read_some(buffer, std::move(handler));
  }

  void write_all(std::shared_ptr<const std::string> data, WriteHandler handler) override {
    asio::async_write(out_, asio::buffer(*data),
                      [data, handler = std::move(handler)](const boost::system::error_code& ec,
                                                           size_t) { handler(ec); });
  }

  void close() override {
    boost::system::error_code ignored;
    in_.close(ignored);
    out_.close(ignored);
  }

  std::string peer() const override { return "stdio"; }

 private:
  asio::posix::stream_descriptor in_;
  asio::posix::stream_descriptor out_;
};

}  // namespace

std::unique_ptr<ByteStream> make_socket_stream(asio::generic::stream_protocol::socket socket) {
  return std::make_unique<SocketStream>(std::move(socket));
}

std::unique_ptr<ByteStream> make_stdio_stream(asio::io_context& io) {
  return std::make_unique<StdioStream>(io);
}

}  // namespace sendpool::policyd
