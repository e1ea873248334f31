// Netstrings (`LEN:payload,`), the framing of Postfix socketmap requests and replies.
//
// NetstringParser is an incremental state machine: bytes are fed as they arrive and complete
// payloads come out in order, however the stream is split. It is strict: the length is decimal
// digits with no leading zero (except "0" itself), at most `max_length`, followed by ':', exactly
// that many payload bytes, and ','. Anything else is an error, after which the parser stays
// failed (the stream position is lost; the caller disconnects). format_netstring is the inverse.
//
// Ownership: a parser belongs to one connection. Thread-safety: none; format_netstring is pure.
// Security: the bytes come from a peer on a socket. The declared length is checked against the
// limit digit by digit, before any payload is buffered, so a hostile length can neither overflow
// nor make the parser allocate; error messages never repeat the input.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace sendpool {

// Postfix's own limit for socketmap replies (dict_sockmap.c), used for requests too.
inline constexpr size_t kMaxNetstringLength = 100000;

class NetstringParser {
 public:
  explicit NetstringParser(size_t max_length = kMaxNetstringLength);

  // Consumes `bytes`, appending each complete payload to `out`. Returns kInvalidArgument on the
  // first malformed byte (payloads completed before it are still appended); after an error every
  // later feed returns the same error.
  Status feed(std::string_view bytes, std::vector<std::string>& out);

  // True while a netstring is partially received (false after an error).
  bool mid_netstring() const;

 private:
  enum class State { kLength, kPayload, kComma };
  Status fail(std::string message);

  size_t max_length_;
  State state_ = State::kLength;
  size_t digits_ = 0;  // length digits read so far
  size_t length_ = 0;  // the declared length, as read so far
  std::string payload_;
  std::optional<Error> error_;
};

// "<decimal length>:<payload>,"; NetstringParser reads it back as `payload`.
std::string format_netstring(std::string_view payload);

}  // namespace sendpool
