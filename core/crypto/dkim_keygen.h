// DKIM signing keys: generating RSA and Ed25519 pairs and deriving the public half that a
// DKIM DNS record publishes in its p= tag (OpenSSL 3 EVP).
//
// Private keys are PKCS#8 PEM ("BEGIN PRIVATE KEY"), which libopendkim loads with
// PEM_read_bio_PrivateKey. The p= value is base64 of the DER SubjectPublicKeyInfo for RSA
// (RFC 6376 §3.6.1) and base64 of the raw 32-byte key for Ed25519 (RFC 8463 §4.2).
// Ownership: plain values in and out; OpenSSL objects never leave the .cc.
// Thread-safety: every function is safe to call from any thread.
// Security: PEM text may come from an operator's import; it is size-bounded, encrypted keys
// are refused without prompting for a passphrase, and key pairs are consistency-checked.
// Private key text is secret: callers must not log it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/result.h"
#include "core/model/entities.h"  // KeyType only; this library does not link the model

namespace sendpool {

// RSA sizes we generate: RFC 8301 says signers SHOULD use 2048 bits and verifiers need only
// accept up to 4096.
inline constexpr unsigned kDefaultRsaBits = 2048;
inline constexpr unsigned kMinGeneratedRsaBits = 2048;
inline constexpr unsigned kMaxRsaBits = 4096;
// RSA sizes we accept from an imported key: RFC 8301's MUST floor.
inline constexpr unsigned kMinImportedRsaBits = 1024;
// Larger than any PEM private key we accept (a 4096-bit RSA PKCS#8 PEM is about 3.3 KB).
inline constexpr size_t kMaxPrivateKeyPemBytes = 16 * 1024;

struct GeneratedKey {
  std::string private_key_pem;  // PKCS#8 PEM; secret
  std::string public_key_b64;   // the DKIM p= value
};

// Generates a fresh key pair; `rsa_bits` applies to RSA only and must be 2048..4096.
Result<GeneratedKey> generate_dkim_key(KeyType type, unsigned rsa_bits = kDefaultRsaBits);

// The p= value for a PEM private key (PKCS#8 or traditional RSA), which must be of `type`.
// Used to check a rotated or imported key against what DNS publishes.
Result<std::string> public_key_from_private_pem(std::string_view pem, KeyType type);

// Which kind of DKIM key a PEM private key holds; other algorithms are kInvalidArgument.
Result<KeyType> detect_key_type(std::string_view pem);

}  // namespace sendpool
