// Fuzz target for the Postfix policy protocol parser (core/proto/policy_protocol.h).
//
// The first byte of the input chooses how the rest is split into feed() calls; the rest is the
// byte stream. Any broken invariant aborts:
//   - feeding in random pieces gives the same requests, the same success or failure and the same
//     error message as one feed of the whole stream;
//   - no request has more than kMaxPolicyAttributes attributes, an empty name, a name with '=',
//     a NUL, or a line longer than kMaxPolicyLineLength;
//   - every request, written back as name=value lines, parses to the same attributes;
//   - the reply formatter, given any bytes, produces exactly one line and an empty line.
// Thread-safety: none needed; libFuzzer calls the entry point from one thread.
// Security: this is where hostile bytes are thrown at the parser on purpose.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/proto/policy_protocol.h"

namespace {

using sendpool::PolicyParser;
using sendpool::PolicyRequest;
using sendpool::Status;

void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "policy_protocol_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

struct Outcome {
  std::vector<PolicyRequest> requests;
  bool ok = true;
  std::string error;
};

// Feeds `bytes` in pieces whose sizes follow a small generator seeded by `seed`.
Outcome run(std::string_view bytes, unsigned seed) {
  PolicyParser parser;
  Outcome outcome;
  uint32_t state = seed * 2654435761u + 1;
  size_t i = 0;
  while (i < bytes.size()) {
    state = state * 1103515245u + 12345u;
    size_t piece = seed == 0 ? bytes.size() : 1 + (state >> 16) % (seed % 64 + 1);
    piece = std::min(piece, bytes.size() - i);
    Status status = parser.feed(bytes.substr(i, piece), outcome.requests);
    i += piece;
    if (!status) {
      outcome.ok = false;
      outcome.error = status.error().message;
      break;
    }
  }
  return outcome;
}

bool same_requests(const std::vector<PolicyRequest>& a, const std::vector<PolicyRequest>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].attributes != b[i].attributes) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  unsigned seed = data[0];
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  Outcome whole = run(bytes, 0);
  Outcome pieces = run(bytes, seed);
  Outcome single = run(bytes, 1);  // pieces of 1 or 2 bytes
  check(whole.ok == pieces.ok && whole.ok == single.ok, "split feeding changes success");
  check(whole.error == pieces.error && whole.error == single.error, "split feeding changes error");
  check(same_requests(whole.requests, pieces.requests), "split feeding changes requests");
  check(same_requests(whole.requests, single.requests), "split feeding changes requests");
  if (!whole.ok) check(!whole.error.empty(), "empty error message");

  std::string rewritten;
  for (const PolicyRequest& request : whole.requests) {
    check(!request.attributes.empty(), "empty request accepted");
    check(request.attributes.size() <= sendpool::kMaxPolicyAttributes, "too many attributes");
    for (const auto& attribute : request.attributes) {
      const std::string& name = attribute.first;
      const std::string& value = attribute.second;
      check(!name.empty(), "empty name");
      check(name.find('=') == std::string::npos, "name with '='");
      check(name.find('\0') == std::string::npos && value.find('\0') == std::string::npos,
            "NUL byte kept");
      check(name.find('\n') == std::string::npos && value.find('\n') == std::string::npos,
            "LF kept");
      check(name.size() + 1 + value.size() <= sendpool::kMaxPolicyLineLength, "line too long");
      check(request.has(name), "has() misses a sent attribute");
      auto last = std::find_if(request.attributes.rbegin(), request.attributes.rend(),
                               [&name](const auto& a) { return a.first == name; });
      check(request.get(name) == last->second, "get() is not the last value");
      rewritten += name + "=" + value + "\n";
    }
    rewritten += "\n";
  }
  // A value ending in CR would lose it when written back with a bare LF; skip those.
  if (rewritten.find("\r\n") == std::string::npos) {
    Outcome again = run(rewritten, 0);
    check(again.ok, "rewritten requests do not parse");
    check(same_requests(again.requests, whole.requests), "rewritten requests differ");
  }

  std::string reply = sendpool::format_policy_reply(bytes);
  check(reply.size() >= 9 && reply.compare(0, 7, "action=") == 0, "reply prefix");
  check(reply.compare(reply.size() - 2, 2, "\n\n") == 0, "reply suffix");
  check(std::count(reply.begin(), reply.end(), '\n') == 2, "reply has extra lines");
  check(reply.find('\r') == std::string::npos && reply.find('\0') == std::string::npos,
        "reply has CR or NUL");
  return 0;
}
