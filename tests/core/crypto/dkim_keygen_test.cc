#include "core/crypto/dkim_keygen.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sendpool {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::optional<std::string> b64_decode(std::string_view b64) {
  if (b64.size() % 4 != 0) return std::nullopt;
  std::string out(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  size_t padding = 0;
  while (padding < 2 && padding < b64.size() && b64[b64.size() - 1 - padding] == '=')
    ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

// The public key a DKIM verifier would build from the record's p= value.
PkeyPtr public_key_from_p(KeyType type, std::string_view p) {
  std::optional<std::string> der = b64_decode(p);
  if (!der) return nullptr;
  const auto* bytes = reinterpret_cast<const unsigned char*>(der->data());
  if (type == KeyType::kEd25519) {
    return PkeyPtr(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes, der->size()));
  }
  const unsigned char* cursor = bytes;
  PkeyPtr key(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der->size())));
  if (cursor != bytes + der->size()) return nullptr;  // trailing bytes
  return key;
}

PkeyPtr private_key_from_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

std::string pem_of(EVP_PKEY* key, bool traditional, const char* passphrase = nullptr) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  const EVP_CIPHER* cipher = passphrase != nullptr ? EVP_aes_256_cbc() : nullptr;
  auto* pass = reinterpret_cast<const unsigned char*>(passphrase);
  const int len = passphrase != nullptr ? static_cast<int>(std::string_view(passphrase).size()) : 0;
  int ok = traditional
               ? PEM_write_bio_PrivateKey_traditional(bio.get(), key, cipher, pass, len, nullptr,
                                                      nullptr)
               : PEM_write_bio_PrivateKey(bio.get(), key, cipher, pass, len, nullptr, nullptr);
  if (ok != 1) return "";
  std::string out(BIO_ctrl_pending(bio.get()), '\0');
  BIO_read(bio.get(), out.data(), static_cast<int>(out.size()));
  return out;
}

PkeyPtr openssl_key(const char* algorithm, int rsa_bits = 0) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0) return nullptr;
  if (rsa_bits > 0) EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), rsa_bits);
  if (std::string_view(algorithm) == "EC") EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256");
  if (EVP_PKEY_generate(ctx.get(), &key) <= 0) return nullptr;
  return PkeyPtr(key);
}

bool sign_and_verify(EVP_PKEY* signer, EVP_PKEY* verifier, KeyType type, std::string_view msg) {
  // RFC 8463 Ed25519 signs without a prehash parameter; rsa-sha256 signs with SHA-256.
  const EVP_MD* md = type == KeyType::kRsa ? EVP_sha256() : nullptr;
  const auto* data = reinterpret_cast<const unsigned char*>(msg.data());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t sig_size = 0;
  if (EVP_DigestSignInit(sctx.get(), nullptr, md, nullptr, signer) != 1) return false;
  if (EVP_DigestSign(sctx.get(), nullptr, &sig_size, data, msg.size()) != 1) return false;
  std::vector<unsigned char> sig(sig_size);
  if (EVP_DigestSign(sctx.get(), sig.data(), &sig_size, data, msg.size()) != 1) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> vctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(vctx.get(), nullptr, md, nullptr, verifier) != 1) return false;
  return EVP_DigestVerify(vctx.get(), sig.data(), sig_size, data, msg.size()) == 1;
}

// Key generation is slow enough (RSA) to do once for the suite.
class DkimKeygenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto rsa = generate_dkim_key(KeyType::kRsa);
    auto ed = generate_dkim_key(KeyType::kEd25519);
    ASSERT_TRUE(rsa) << rsa.error().message;
    ASSERT_TRUE(ed) << ed.error().message;
    rsa_ = new GeneratedKey(*rsa);
    ed25519_ = new GeneratedKey(*ed);
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ed25519_;
  }
  static const GeneratedKey& key(KeyType type) { return type == KeyType::kRsa ? *rsa_ : *ed25519_; }
  static GeneratedKey* rsa_;
  static GeneratedKey* ed25519_;
};
GeneratedKey* DkimKeygenTest::rsa_ = nullptr;
GeneratedKey* DkimKeygenTest::ed25519_ = nullptr;

TEST_F(DkimKeygenTest, PrivateKeysArePkcs8Pem) {
  for (KeyType type : {KeyType::kRsa, KeyType::kEd25519}) {
    EXPECT_EQ(key(type).private_key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
    EXPECT_NE(private_key_from_pem(key(type).private_key_pem), nullptr);
  }
}

TEST_F(DkimKeygenTest, RsaKeyIs2048BitsAndPublishesAnSpkiWith2048BitModulus) {
  PkeyPtr priv = private_key_from_pem(rsa_->private_key_pem);
  ASSERT_NE(priv, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(priv.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(priv.get()), 2048);

  EXPECT_EQ(rsa_->public_key_b64.rfind("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 0), 0u)
      << "SPKI header of an rsaEncryption 2048-bit key";
  PkeyPtr pub = public_key_from_p(KeyType::kRsa, rsa_->public_key_b64);
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(pub.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(pub.get()), 2048);
  EXPECT_EQ(EVP_PKEY_eq(priv.get(), pub.get()), 1);
}

TEST_F(DkimKeygenTest, Ed25519PublishesExactly32RawBytes) {
  std::optional<std::string> raw = b64_decode(ed25519_->public_key_b64);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->size(), 32u);
  EXPECT_EQ(ed25519_->public_key_b64.size(), 44u);
  PkeyPtr priv = private_key_from_pem(ed25519_->private_key_pem);
  PkeyPtr pub = public_key_from_p(KeyType::kEd25519, ed25519_->public_key_b64);
  ASSERT_NE(priv, nullptr);
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(priv.get()), EVP_PKEY_ED25519);
  EXPECT_EQ(EVP_PKEY_eq(priv.get(), pub.get()), 1);
}

TEST_F(DkimKeygenTest, SignatureByPrivateKeyVerifiesWithKeyRebuiltFromPublishedP) {
  for (KeyType type : {KeyType::kRsa, KeyType::kEd25519}) {
    PkeyPtr priv = private_key_from_pem(key(type).private_key_pem);
    PkeyPtr pub = public_key_from_p(type, key(type).public_key_b64);
    ASSERT_NE(priv, nullptr);
    ASSERT_NE(pub, nullptr);
    EXPECT_TRUE(sign_and_verify(priv.get(), pub.get(), type, "hello"));
  }
  // And the other key's p= does not verify it.
  PkeyPtr other = openssl_key("ED25519");
  PkeyPtr pub = public_key_from_p(KeyType::kEd25519, ed25519_->public_key_b64);
  EXPECT_FALSE(sign_and_verify(other.get(), pub.get(), KeyType::kEd25519, "hello"));
}

TEST_F(DkimKeygenTest, PublicKeyFromPrivatePemMatchesGeneration) {
  for (KeyType type : {KeyType::kRsa, KeyType::kEd25519}) {
    auto p = public_key_from_private_pem(key(type).private_key_pem, type);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(*p, key(type).public_key_b64);
  }
}

TEST_F(DkimKeygenTest, DetectKeyTypeRecognisesRsaAndEd25519) {
  auto rsa = detect_key_type(rsa_->private_key_pem);
  auto ed = detect_key_type(ed25519_->private_key_pem);
  ASSERT_TRUE(rsa);
  ASSERT_TRUE(ed);
  EXPECT_EQ(*rsa, KeyType::kRsa);
  EXPECT_EQ(*ed, KeyType::kEd25519);
}

TEST_F(DkimKeygenTest, PrivateKeyOfTheOtherTypeIsRejected) {
  auto p = public_key_from_private_pem(rsa_->private_key_pem, KeyType::kEd25519);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
  auto q = public_key_from_private_pem(ed25519_->private_key_pem, KeyType::kRsa);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(DkimKeygenTest, GeneratedKeysAreFresh) {
  auto again = generate_dkim_key(KeyType::kEd25519);
  ASSERT_TRUE(again);
  EXPECT_NE(again->public_key_b64, ed25519_->public_key_b64);
  EXPECT_NE(again->private_key_pem, ed25519_->private_key_pem);
}

TEST(DkimKeygenImportTest, TraditionalRsaPemIsAcceptedWithTheSamePublicKey) {
  PkeyPtr key = openssl_key("RSA", 2048);
  ASSERT_NE(key, nullptr);
  const std::string traditional = pem_of(key.get(), true);
  ASSERT_EQ(traditional.rfind("-----BEGIN RSA PRIVATE KEY-----", 0), 0u);
  auto from_traditional = public_key_from_private_pem(traditional, KeyType::kRsa);
  auto from_pkcs8 = public_key_from_private_pem(pem_of(key.get(), false), KeyType::kRsa);
  ASSERT_TRUE(from_traditional) << from_traditional.error().message;
  ASSERT_TRUE(from_pkcs8);
  EXPECT_EQ(*from_traditional, *from_pkcs8);
  auto type = detect_key_type(traditional);
  ASSERT_TRUE(type);
  EXPECT_EQ(*type, KeyType::kRsa);
}

TEST(DkimKeygenImportTest, ImportedRsaKeysMustBe1024To4096Bits) {
  PkeyPtr small = openssl_key("RSA", 768);
  ASSERT_NE(small, nullptr);
  auto refused = public_key_from_private_pem(pem_of(small.get(), false), KeyType::kRsa);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kRefused);

  PkeyPtr legacy = openssl_key("RSA", 1024);
  ASSERT_NE(legacy, nullptr);
  EXPECT_TRUE(public_key_from_private_pem(pem_of(legacy.get(), false), KeyType::kRsa));
}

TEST(DkimKeygenImportTest, EncryptedPrivateKeyIsRejectedWithoutPromptingForAPassphrase) {
  PkeyPtr key = openssl_key("ED25519");
  const std::string encrypted = pem_of(key.get(), false, "passphrase");
  ASSERT_EQ(encrypted.rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----", 0), 0u);
  auto p = public_key_from_private_pem(encrypted, KeyType::kEd25519);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(detect_key_type(encrypted));
}

TEST(DkimKeygenImportTest, NonDkimAlgorithmsAndNonKeysAreInvalidArguments) {
  PkeyPtr ec = openssl_key("EC");
  ASSERT_NE(ec, nullptr);
  const std::string ec_pem = pem_of(ec.get(), false);
  const std::string inputs[] = {
      ec_pem,
      "",
      "not a key",
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      std::string(kMaxPrivateKeyPemBytes + 1, 'A'),
  };
  for (const std::string& input : inputs) {
    auto type = detect_key_type(input);
    ASSERT_FALSE(type) << input.substr(0, 40);
    EXPECT_EQ(type.error().code, ErrorCode::kInvalidArgument) << input.substr(0, 40);
    EXPECT_FALSE(public_key_from_private_pem(input, KeyType::kRsa));
  }
  auto ec_type = detect_key_type(ec_pem);
  EXPECT_NE(ec_type.error().message.find("unsupported"), std::string::npos)
      << ec_type.error().message;
}

TEST(DkimKeygenGenerateTest, RsaSizeMustBe2048To4096Bits) {
  for (unsigned bits : {0u, 1024u, 2047u, 4097u, 8192u}) {
    auto key = generate_dkim_key(KeyType::kRsa, bits);
    ASSERT_FALSE(key) << bits;
    EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
  }
  auto big = generate_dkim_key(KeyType::kRsa, 3072);
  ASSERT_TRUE(big);
  PkeyPtr pub = public_key_from_p(KeyType::kRsa, big->public_key_b64);
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(EVP_PKEY_get_bits(pub.get()), 3072);
}

}  // namespace
}  // namespace sendpool
