// A small, bounded reader of RFC 5322 messages and RFC 2045/2046 MIME structure, enough to
// take delivery reports (DSN, ARF) and plain-text bounces apart.
//
// parse_header_block() reads "Name: value" fields (folded lines unfolded) up to the first
// empty line; the same syntax serves message headers and the field blocks of
// message/delivery-status and message/feedback-report. parse_mime_message() reads a whole
// message: headers, Content-Type, transfer decoding (base64, quoted-printable) of leaf parts
// and multipart bodies split at their boundary, recursively up to kMaxMimeDepth.
// message/rfc822 and text/rfc822-headers parts are left as text: a caller that wants the
// quoted original headers runs parse_header_block() on them.
// Lines may end in CRLF or LF (Postfix hands pipe(8) commands LF-only text).
// Ownership: the results own their text (decoded bodies must be owned anyway).
// Thread-safety: pure functions.
// Security: the input is mail from anyone. Every dimension is bounded by a named constant
// (size, header count and length, parts, nesting); malformed input is an error value, never an
// exception or a crash. Lenient where real reporters are sloppy (a missing closing boundary,
// a stray line without a colon inside a field block), strict where guessing would be unsafe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/result.h"

namespace sendpool {

inline constexpr size_t kMaxMimeMessageSize = 10 * 1024 * 1024;  // bytes of one message
inline constexpr size_t kMaxHeaderFields = 1000;                 // fields per block
inline constexpr size_t kMaxHeaderFieldLength = 64 * 1024;       // one unfolded field
inline constexpr size_t kMaxMimeParts = 100;                     // parts in one message
inline constexpr int kMaxMimeDepth = 5;                          // multipart nesting
inline constexpr size_t kMaxBoundaryLength = 70;                 // RFC 2046 5.1.1
inline constexpr size_t kMaxContentTypeParams = 32;

struct HeaderField {
  std::string name;   // as written (compare case-insensitively)
  std::string value;  // unfolded, surrounding white space removed
};

struct HeaderBlock {
  std::vector<HeaderField> fields;
  size_t skipped_lines = 0;  // lines that were neither a field nor a continuation

  // The value of the first field called `name` (case-insensitive), or nullptr.
  const std::string* find(std::string_view name) const;
  // The values of every field called `name`, in order.
  std::vector<std::string> all(std::string_view name) const;
};

// Reads one field block from the start of `text` up to (and including) the first empty line,
// or the end of the text. `consumed` (optional) receives the number of bytes read, so the
// caller can continue with the next block. Errors: more than kMaxHeaderFields fields or a
// field longer than kMaxHeaderFieldLength.
Result<HeaderBlock> parse_header_block(std::string_view text, size_t* consumed = nullptr);

struct ContentType {
  std::string type = "text";                                // lower case
  std::string subtype = "plain";                            // lower case
  std::vector<std::pair<std::string, std::string>> params;  // names lower case, values unquoted

  // The parameter's value, or empty.
  std::string param(std::string_view name) const;
  bool is(std::string_view t, std::string_view s) const { return type == t && subtype == s; }
};

// Parses a Content-Type value ("multipart/report; report-type=delivery-status; boundary=..").
// Anything unreadable gives the RFC 2045 default, text/plain.
ContentType parse_content_type(std::string_view value);

struct MimePart {
  HeaderBlock headers;
  ContentType content_type;
  std::string body;             // transfer-decoded; empty for a multipart container
  std::vector<MimePart> parts;  // the parts of a multipart/*, in order
};

// Parses a whole message. Errors (kInvalidArgument): larger than kMaxMimeMessageSize, no
// header field at all, a multipart without a usable boundary or without any part, and the
// limits on parts, nesting and fields.
Result<MimePart> parse_mime_message(std::string_view message);

// Lenient MIME base64 (white space and line breaks ignored, stops at '='); nullopt when a
// byte outside the alphabet appears.
std::optional<std::string> decode_mime_base64(std::string_view text);
// Quoted-printable (RFC 2045 6.7): "=XX" escapes and soft line breaks; malformed escapes are
// kept literally, as the RFC recommends.
std::string decode_quoted_printable(std::string_view text);

// Case-insensitive ASCII comparison (header names, types).
bool iequals_ascii(std::string_view a, std::string_view b);

}  // namespace sendpool
