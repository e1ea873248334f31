// Fuzz target for the netstring parser (core/proto/netstring.h), with the socketmap request
// parser (core/proto/socketmap.h) run over every payload.
//
// The first byte of the input chooses how the rest is split into feed() calls and the parser's
// length limit; the rest is the byte stream. Any broken invariant aborts:
//   - the decoded payloads, re-encoded with format_netstring, are a prefix of the input, so the
//     parser never invents, drops or reorders bytes; when the whole input is accepted and no
//     netstring is left open, they are the whole input;
//   - no payload is longer than the limit;
//   - feeding in pieces gives the same payloads and the same error as one feed;
//   - an accepted socketmap request has a non-empty name of [A-Za-z0-9_.-], a non-empty key, and
//     name + ' ' + key is the payload.
// Thread-safety: none needed; libFuzzer calls the entry point from one thread.
// Security: this is where hostile bytes are thrown at the parsers on purpose.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/proto/netstring.h"
#include "core/proto/socketmap.h"

namespace {

void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "netstring_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

struct Outcome {
  std::vector<std::string> payloads;
  bool ok = true;
  std::string error;
  bool mid = false;
};

Outcome run(std::string_view bytes, size_t max_length, size_t piece) {
  sendpool::NetstringParser parser(max_length);
  Outcome outcome;
  for (size_t i = 0; i < bytes.size(); i += piece) {
    sendpool::Status status = parser.feed(bytes.substr(i, piece), outcome.payloads);
    if (!status) {
      outcome.ok = false;
      outcome.error = status.error().message;
      break;
    }
  }
  outcome.mid = parser.mid_netstring();
  return outcome;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Small limits reach the limit checks; 0 means the default.
  size_t max_length = data[0] & 0x0f ? (data[0] & 0x0f) * 3 : sendpool::kMaxNetstringLength;
  size_t piece = (data[0] >> 4) + 1;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  Outcome whole = run(bytes, max_length, bytes.size() + 1);
  Outcome pieces = run(bytes, max_length, piece);
  check(whole.ok == pieces.ok && whole.error == pieces.error, "split feeding changes the result");
  check(whole.payloads == pieces.payloads, "split feeding changes payloads");
  check(whole.ok || !whole.error.empty(), "empty error message");
  check(whole.ok || !whole.mid, "mid_netstring after an error");

  std::string encoded;
  for (const std::string& payload : whole.payloads) {
    check(payload.size() <= max_length, "payload over the limit");
    encoded += sendpool::format_netstring(payload);

    auto request = sendpool::parse_socketmap_request(payload);
    if (!request) continue;
    check(!request->name.empty() && !request->key.empty(), "empty socketmap name or key");
    check(std::all_of(request->name.begin(), request->name.end(), is_name_char),
          "bad socketmap name");
    check(request->name + " " + request->key == payload, "socketmap request loses bytes");
  }
  check(bytes.substr(0, encoded.size()) == encoded, "payloads do not re-encode to a prefix");
  if (whole.ok && !whole.mid) check(encoded.size() == bytes.size(), "accepted bytes lost");
  return 0;
}
