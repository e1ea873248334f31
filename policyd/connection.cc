#include "policyd/connection.h"

namespace sendpool::policyd {

Connection::Connection(std::unique_ptr<ByteStream> stream, ConnectionSlot slot, const Logger& log,
                       std::string name)
    : stream_(std::move(stream)), slot_(std::move(slot)), log_(log), name_(std::move(name)) {
  peer_ = stream_->peer();
}

void Connection::start() {
  on_open();
  read_next();
}

void Connection::close() {
  if (!open_) return;
  open_ = false;
  stream_->close();
  on_close();
}

void Connection::send(std::string data) {
  if (!open_) return;
  outbox_.push_back(std::make_shared<const std::string>(std::move(data)));
  if (!writing_) write_next();
}

void Connection::read_next() {
  auto self = shared_from_this();
  stream_->read_some(boost::asio::buffer(buffer_),
                     [self](const boost::system::error_code& ec, size_t n) {
                       if (!self->open_) return;
                       if (ec) {
                         self->close();
                         return;
                       }
                       Status s = self->on_data(std::string_view(self->buffer_.data(), n));
                       if (!s) {
                         self->log_.warning("{}: closing connection from {}: {}", self->name_,
                                            self->peer_, sanitize(s.error().message));
                         self->close();
                         return;
                       }
                       self->read_next();
                     });
}

void Connection::write_next() {
  if (outbox_.empty() || !open_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  auto self = shared_from_this();
  stream_->write_all(outbox_.front(), [self](const boost::system::error_code& ec) {
    self->outbox_.pop_front();
    if (ec) {
      self->close();
      return;
    }
    self->write_next();
  });
}

}  // namespace sendpool::policyd
