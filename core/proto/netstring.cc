#include "core/proto/netstring.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/proto/ascii.h"

namespace sendpool {

NetstringParser::NetstringParser(size_t max_length) : max_length_(max_length) {}

Status NetstringParser::feed(std::string_view bytes, std::vector<std::string>& out) {
  if (error_) return *error_;
  size_t i = 0;
  while (i < bytes.size()) {
    switch (state_) {
      case State::kLength: {
        char c = bytes[i++];
        if (ascii::is_digit(c)) {
          if (digits_ == 1 && length_ == 0) return fail("netstring length with a leading zero");
          size_t digit = static_cast<size_t>(c - '0');
          // length_ * 10 + digit > max_length_, written so that it cannot overflow.
          if (digit > max_length_ || length_ > (max_length_ - digit) / 10)
            return fail(fmt::format("netstring longer than {} bytes", max_length_));
          length_ = length_ * 10 + digit;
          ++digits_;
        } else if (c == ':' && digits_ > 0) {
          state_ = length_ > 0 ? State::kPayload : State::kComma;
          payload_.reserve(length_);
        } else if (c == ':') {
          return fail("netstring without a length");
        } else {
          return fail(fmt::format("netstring length: unexpected byte {}", ascii::describe_byte(c)));
        }
        break;
      }
      case State::kPayload: {
        size_t take = std::min(length_ - payload_.size(), bytes.size() - i);
        payload_.append(bytes.substr(i, take));
        i += take;
        if (payload_.size() == length_) state_ = State::kComma;
        break;
      }
      case State::kComma: {
        char c = bytes[i++];
        if (c != ',') return fail("netstring without its closing ','");
        out.push_back(std::move(payload_));
        payload_ = std::string();
        state_ = State::kLength;
        digits_ = 0;
        length_ = 0;
        break;
      }
    }
  }
  return ok_status();
}

bool NetstringParser::mid_netstring() const {
  return !error_ && (state_ != State::kLength || digits_ > 0);
}

Status NetstringParser::fail(std::string message) {
  error_ = make_error(ErrorCode::kInvalidArgument, std::move(message));
  payload_ = std::string();
  return *error_;
}

std::string format_netstring(std::string_view payload) {
  std::string out = fmt::format("{}:", payload.size());
  out.append(payload);
  out.push_back(',');
  return out;
}

}  // namespace sendpool
