// Fuzz target for return-path tokens (core/proto/return_path.h).
//
// Built as a libFuzzer binary when SENDPOOL_FUZZ is on, and replayed over corpus/return_path/ as
// an ordinary test otherwise. Any broken invariant aborts, which both drivers report as a failure:
//   - the input as an address: whatever decodes re-encodes to the same address, lower-cased,
//     without angle brackets and without a trailing dot on the domain; its local part is at most
//     64 octets and its tag is valid; it does not decode under another secret or domain;
//   - the input as token fields (kind, account, day, tag taken from the bytes): the encoded
//     address is lower case, has a local part of at most 64 octets, decodes to the same token
//     (also upper-cased and in angle brackets), and stops decoding when one MAC character
//     changes or the secret differs.
// The corpus holds addresses minted under kSecret for kDomain, so the decoding path is reached.
// Thread-safety: none needed; libFuzzer calls the entry point from one thread.
// Security: this is where hostile bytes are thrown at the decoder on purpose.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "core/proto/return_path.h"

namespace {

using sendpool::ReturnPathToken;

constexpr std::string_view kDomain = "rp.sendpool.example";
constexpr std::string_view kSecret = "fuzz-secret";
constexpr std::string_view kOtherSecret = "fuzz-secret-2";
constexpr std::string_view kBase32 = "abcdefghijklmnopqrstuvwxyz234567";

void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "return_path_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool same(const ReturnPathToken& a, const ReturnPathToken& b) {
  return a.kind == b.kind && a.account == b.account && a.day == b.day && a.tag == b.tag;
}

void check_decoded(std::string_view input) {
  std::optional<ReturnPathToken> t = sendpool::decode_return_path(input, kDomain, kSecret);
  if (!t) return;
  check(sendpool::is_valid_tag(t->tag), "a decoded tag is valid");
  check(t->day >= 0, "a decoded day is not negative");
  std::string canonical(input);
  if (canonical.size() >= 2 && canonical.front() == '<' && canonical.back() == '>')
    canonical = canonical.substr(1, canonical.size() - 2);
  canonical = lower(canonical);
  if (!canonical.empty() && canonical.back() == '.') canonical.pop_back();
  std::string again = sendpool::encode_return_path(*t, kDomain, kSecret);
  check(again == canonical, "a decoded address re-encodes to itself, lower-cased");
  check(again.find('@') <= 64, "a decoded local part is at most 64 octets");
  check(!sendpool::decode_return_path(input, kDomain, kOtherSecret),
        "an address does not decode under another secret");
  check(!sendpool::decode_return_path(input, "other.example", kSecret),
        "an address does not decode for another domain");
}

uint64_t take(const uint8_t*& data, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v = (v << 8) | *data++;
  return v;
}

void check_encoded(const uint8_t* data, size_t size) {
  if (size < 13) return;
  ReturnPathToken t;
  t.kind = (data[0] & 1) ? sendpool::TokenKind::kUnsubscribe : sendpool::TokenKind::kBounce;
  ++data;
  t.account = take(data, 8);
  t.day = static_cast<int>(take(data, 4) & 0x7fffffff);
  size_t rest = size - 13;
  size_t tag_length = rest == 0 ? 1 : 1 + rest % sendpool::kMaxTagLength;
  for (size_t i = 0; i < tag_length; ++i)
    t.tag.push_back(kBase32[(i < rest ? data[i] : 0) & 31]);

  std::string address = sendpool::encode_return_path(t, kDomain, kSecret);
  check(address == lower(address), "an encoded address is lower case");
  size_t at = address.find('@');
  check(at != std::string::npos && at <= 64, "an encoded local part is at most 64 octets");

  std::optional<ReturnPathToken> back = sendpool::decode_return_path(address, kDomain, kSecret);
  check(back && same(*back, t), "an encoded token decodes to itself");
  back = sendpool::decode_return_path(upper(address), kDomain, kSecret);
  check(back && same(*back, t), "an upper-cased token decodes to itself");
  back = sendpool::decode_return_path("<" + address + ">", kDomain, kSecret);
  check(back && same(*back, t), "a token in angle brackets decodes to itself");

  check(!sendpool::decode_return_path(address, kDomain, kOtherSecret),
        "a token does not decode under another secret");
  std::string forged = address;
  char& last_mac = forged[at - 1];
  last_mac = last_mac == 'a' ? 'b' : 'a';
  check(!sendpool::decode_return_path(forged, kDomain, kSecret),
        "a token with one MAC character changed does not decode");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_decoded(input);
  check_encoded(data, size);
  return 0;
}
