// Base64 (RFC 4648 section 4: standard alphabet, '=' padding), as SASL carries it.
//
// The decoder is strict: the length must be a multiple of four, only the 64 alphabet characters
// may appear, '=' only as one or two final padding characters, and the bits that padding leaves
// unused must be zero (RFC 4648 3.5), so every accepted text is exactly what base64_encode
// produces for its bytes. No whitespace or line breaks are accepted. Empty text decodes to "".
//
// Thread-safety: pure functions.
// Security: the input is client data (SASL responses); it is only scanned, never trusted, and
// the output is at most three quarters of its size.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sendpool {

// Encodes bytes with the standard alphabet and padding.
std::string base64_encode(std::string_view bytes);

// Decodes canonical base64; nullopt for anything malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sendpool
