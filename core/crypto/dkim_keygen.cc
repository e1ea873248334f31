#include "core/crypto/dkim_keygen.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace sendpool {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// An error carrying OpenSSL's first queued reason; clears the thread's queue so a stale
// entry cannot be blamed on a later, unrelated call.
Error openssl_error(ErrorCode code, std::string_view what) {
  std::string message(what);
  if (unsigned long e = ERR_get_error(); e != 0) {
    char reason[256];
    ERR_error_string_n(e, reason, sizeof reason);
    message += fmt::format(" ({})", reason);
  }
  ERR_clear_error();
  return make_error(code, std::move(message));
}

// Refuses to prompt on the terminal for an encrypted key's passphrase.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

std::string base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> drain(BIO* bio) {
  const size_t pending = BIO_ctrl_pending(bio);
  std::string out(pending, '\0');
  if (pending > 0 &&
      BIO_read(bio, out.data(), static_cast<int>(pending)) != static_cast<int>(pending)) {
    return openssl_error(ErrorCode::kInternal, "could not read PEM output");
  }
  return out;
}

const char* algorithm_name(KeyType type) {
  return type == KeyType::kRsa ? "RSA" : "ED25519";
}

Result<PkeyPtr> generate_pkey(KeyType type, unsigned rsa_bits) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm_name(type), nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0) {
    return openssl_error(ErrorCode::kInternal, "key generation unavailable");
  }
  if (type == KeyType::kRsa &&
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(rsa_bits)) <= 0) {
    return openssl_error(ErrorCode::kInternal, "could not set the RSA key size");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) <= 0) {
    return openssl_error(ErrorCode::kInternal, "key generation failed");
  }
  return PkeyPtr(raw);
}

Result<PkeyPtr> load_private_pem(std::string_view pem) {
  if (pem.empty() || pem.size() > kMaxPrivateKeyPemBytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("private key PEM must be 1..{} bytes, got {}",
                                  kMaxPrivateKeyPemBytes, pem.size()));
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return openssl_error(ErrorCode::kInternal, "out of memory");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    return openssl_error(ErrorCode::kInvalidArgument, "not an unencrypted PEM private key");
  }
  ERR_clear_error();  // decoders may queue errors for the formats they tried and rejected
  return key;
}

Result<KeyType> key_type_of(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return KeyType::kRsa;
    case EVP_PKEY_ED25519:
      return KeyType::kEd25519;
    default: {
      const char* name = EVP_PKEY_get0_type_name(key);
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("unsupported key algorithm {} (DKIM uses RSA or Ed25519)",
                                    name != nullptr ? name : "unknown"));
    }
  }
}

Result<std::string> public_b64(EVP_PKEY* key, KeyType type) {
  if (type == KeyType::kEd25519) {
    unsigned char raw[32];
    size_t size = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key, raw, &size) <= 0 || size != sizeof raw) {
      return openssl_error(ErrorCode::kInternal, "could not extract the Ed25519 public key");
    }
    return base64(raw, size);
  }
  const int size = i2d_PUBKEY(key, nullptr);
  if (size <= 0) return openssl_error(ErrorCode::kInternal, "could not encode the public key");
  std::vector<unsigned char> der(static_cast<size_t>(size));
  unsigned char* cursor = der.data();
  if (i2d_PUBKEY(key, &cursor) != size) {
    return openssl_error(ErrorCode::kInternal, "could not encode the public key");
  }
  return base64(der.data(), der.size());
}

}  // namespace

Result<GeneratedKey> generate_dkim_key(KeyType type, unsigned rsa_bits) {
  if (type == KeyType::kRsa && (rsa_bits < kMinGeneratedRsaBits || rsa_bits > kMaxRsaBits)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("RSA key size must be {}..{} bits, got {}", kMinGeneratedRsaBits,
                                  kMaxRsaBits, rsa_bits));
  }
  SENDPOOL_ASSIGN_OR_RETURN(PkeyPtr key, generate_pkey(type, rsa_bits));
  BioPtr bio(BIO_new(BIO_s_secmem()));  // cleansed when freed
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) <= 0) {
    return openssl_error(ErrorCode::kInternal, "could not write the private key PEM");
  }
  GeneratedKey out;
  SENDPOOL_ASSIGN_OR_RETURN(out.private_key_pem, drain(bio.get()));
  SENDPOOL_ASSIGN_OR_RETURN(out.public_key_b64, public_b64(key.get(), type));
  return out;
}

Result<std::string> public_key_from_private_pem(std::string_view pem, KeyType type) {
  SENDPOOL_ASSIGN_OR_RETURN(PkeyPtr key, load_private_pem(pem));
  SENDPOOL_ASSIGN_OR_RETURN(KeyType actual, key_type_of(key.get()));
  if (actual != type) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("private key is {}, expected {}", algorithm_name(actual),
                                  algorithm_name(type)));
  }
  if (type == KeyType::kRsa) {
    const int bits = EVP_PKEY_get_bits(key.get());
    if (bits < static_cast<int>(kMinImportedRsaBits) || bits > static_cast<int>(kMaxRsaBits)) {
      return make_error(ErrorCode::kRefused,
                        fmt::format("RSA key is {} bits; DKIM needs {}..{} (RFC 8301)", bits,
                                    kMinImportedRsaBits, kMaxRsaBits));
    }
  }
  // A key whose stored public half disagrees with its private half would sign with one key
  // while DNS publishes another.
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_pairwise_check(ctx.get()) <= 0) {
    return openssl_error(ErrorCode::kCorrupt, "private key fails its consistency check");
  }
  return public_b64(key.get(), type);
}

Result<KeyType> detect_key_type(std::string_view pem) {
  SENDPOOL_ASSIGN_OR_RETURN(PkeyPtr key, load_private_pem(pem));
  return key_type_of(key.get());
}

}  // namespace sendpool
