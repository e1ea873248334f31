// The Postfix policy delegation protocol (SMTPD_POLICY_README): requests in, one reply out.
//
// A request is a series of `name=value` lines, each ending with LF, closed by an empty line; a
// persistent connection carries many requests. PolicyParser is an incremental state machine:
// bytes are fed as they arrive, in pieces of any size, and complete requests come out in order.
// Feeding byte by byte and feeding everything at once give the same requests and the same error.
// A CR directly before an LF is dropped (hand-typed tests); a CR anywhere else is kept as data.
// Unknown attributes are kept; the caller ignores what it does not know. The reply is one
// `action=...` line followed by an empty line (format_policy_reply).
//
// Ownership: a PolicyParser belongs to one connection. Thread-safety: none; one parser is used by
// one thread at a time. format_policy_reply is pure.
// Security: the bytes come from smtpd over a socket that anything with access to it can also
// reach. Every line, the number of attributes and the size of a request are bounded by the
// constants below, checked before anything is buffered beyond them; NUL bytes are refused; error
// messages never repeat the input. After the first error the parser stays failed, since the
// stream position is no longer known (the caller logs and disconnects, sending no reply).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/result.h"

namespace sendpool {

// One name=value line, without its LF (and without a CR before the LF).
inline constexpr size_t kMaxPolicyLineLength = 4096;
// Postfix 3.7 sends about 30 attributes.
inline constexpr size_t kMaxPolicyAttributes = 100;
// Every byte of one request, line ends and the closing empty line included.
inline constexpr size_t kMaxPolicyRequestSize = 64 * 1024;

struct PolicyRequest {
  std::vector<std::pair<std::string, std::string>> attributes;  // in arrival order

  // The value of `name` (the last one when repeated), or "" when absent.
  std::string_view get(std::string_view name) const;
  // True when `name` was sent, even with an empty value.
  bool has(std::string_view name) const;
};

// Incremental parser: feed bytes as they arrive; complete requests come out in order.
class PolicyParser {
 public:
  // Consumes `bytes`. Appends each complete request to `out`. Returns an Error (kInvalidArgument,
  // message saying what: line too long, too many attributes, request too large, line without '=',
  // empty name, NUL byte, empty request) on the first violation; requests completed before the
  // offending byte are still appended. After an error the parser stays failed and every later
  // feed returns the same error.
  Status feed(std::string_view bytes, std::vector<PolicyRequest>& out);

  // True while a request is partially received (false after an error).
  bool mid_request() const;

 private:
  Status consume(char c, std::vector<PolicyRequest>& out);
  Status end_of_line(std::vector<PolicyRequest>& out);
  Status fail(std::string message);

  std::string line_;          // the current line so far, without its LF
  PolicyRequest request_;     // attributes of the request being received
  size_t request_bytes_ = 0;  // bytes of that request so far
  std::optional<Error> error_;
};

// "action=<action>\n\n". LF, CR and NUL in `action` become ' ', so the reply is always one line.
std::string format_policy_reply(std::string_view action);

}  // namespace sendpool
