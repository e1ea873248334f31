// The DNS side of DKIM: the TXT record that publishes a public key, its owner name, and the
// selector syntax (RFC 6376 §3.1, §3.6.1, §3.6.2; RFC 8463 for k=ed25519).
//
// Pure functions over strings: no OpenSSL, no I/O. Ownership: values in, values out.
// Thread-safety: no shared state.
// Security: selectors may come from operators or imported configuration; is_valid_selector()
// must pass before one is used in a DNS name or a zone file. The formatters assume a
// validated selector and domain and a base64 public key (they still escape '"' and '\').
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/model/entities.h"  // KeyType only; this library does not link the model

namespace sendpool {

// DNS limits (RFC 1035 §2.3.4, §3.3): a character-string, a label, and a whole name.
inline constexpr size_t kMaxTxtStringBytes = 255;
inline constexpr size_t kMaxDnsLabelBytes = 63;
inline constexpr size_t kMaxDnsNameBytes = 253;

// The TXT value to publish: "v=DKIM1; k=rsa; p=<public_b64>" (k=ed25519 for Ed25519).
std::string dkim_txt_value(KeyType type, std::string_view public_b64);

// The record's owner name, "<selector>._domainkey.<domain>" (no trailing dot).
std::string dkim_record_name(std::string_view selector, std::string_view domain);

// A zone-file line, e.g.
//   sel._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; " "p=MIIB..." "..." )
// with the value split into quoted character-strings of at most 255 octets each; resolvers
// concatenate them back into dkim_txt_value().
std::string dkim_dns_record(std::string_view selector, std::string_view domain, KeyType type,
                            std::string_view public_b64);

// Whether `selector` is a usable DKIM selector: dot-separated DNS labels of letters, digits
// and hyphens, each 1..63 octets and not starting or ending with a hyphen; 253 octets at most.
bool is_valid_selector(std::string_view selector);

}  // namespace sendpool
