// The libopendkim signer, checked by an independent verifier: dkimpy (python3-dkim) run by
// dkim_verify.py with DNS answered from the TXT records core/crypto publishes.
#include "milter/dkim_signer.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto/dkim_keygen.h"
#include "core/crypto/dkim_record.h"

#ifndef SENDPOOL_MILTER_TEST_DIR
#error "SENDPOOL_MILTER_TEST_DIR must name tests/milter (it holds dkim_verify.py)"
#endif

namespace sendpool::milter {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, which sees python3-dkim

struct TestKey {
  SigningKey key;
  std::string txt;  // the DNS TXT value publishing its public half
};

TestKey make_key(std::string domain, std::string selector, KeyType type) {
  auto generated = generate_dkim_key(type);
  if (!generated) {
    ADD_FAILURE() << "generate_dkim_key: " << generated.error().message;
    return {};
  }
  return TestKey{
      SigningKey{std::move(domain), std::move(selector), type, generated->private_key_pem},
      dkim_txt_value(type, generated->public_key_b64)};
}

// Generated once: RSA-2048 generation is the slow part of this suite.
const TestKey& domain_rsa() {
  static const TestKey k = make_key("example.com", "rsa2026", KeyType::kRsa);
  return k;
}
const TestKey& domain_ed25519() {
  static const TestKey k = make_key("example.com", "ed2026", KeyType::kEd25519);
  return k;
}
const TestKey& platform_rsa() {
  static const TestKey k = make_key("platform.example", "p1", KeyType::kRsa);
  return k;
}

// Headers as the milter gets them: values without the leading space, folds as LF.
Headers message_headers() {
  return {{"Return-Path", "<bounce@example.com>"},
          {"Received", "from client.example (client.example [192.0.2.1])\n\tby mx.example"},
          {"From", "Example News <news@example.com>"},
          {"To", "alice@dest.example"},
          {"Subject", "a folded\n\tsubject line"},
          {"Date", "Tue, 10 Mar 2026 12:00:00 +0000"},
          {"Message-ID", "<m1@example.com>"},
          {"MIME-Version", "1.0"},
          {"Content-Type", "text/plain; charset=us-ascii"},
          {"X-Mailer", "test"},
          {"Feedback-ID", "acme:acme-corp:promotional:sp"},
          {"List-Unsubscribe", "<mailto:u.x@rp.example?subject=unsubscribe>"},
          {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}};
}

const std::vector<std::string> kBody = {"Hello Alice,\r\n", "\r\nthis is  a test.\r\n", "Bye\r\n"};

class DkimSignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = DkimSignerFactory::create();
    ASSERT_TRUE(created) << created.error().message;
    factory_ = std::move(*created);
  }

  // One signature over the message, fed as the Session feeds it.
  Result<std::string> sign(const SigningKey& key, const Headers& headers = message_headers(),
                           const std::vector<std::string>& body = kBody) {
    SENDPOOL_ASSIGN_OR_RETURN(auto job, factory_->start(key, "4ABCDEF"));
    for (const auto& [n, v] : headers)
      SENDPOOL_TRY(job->header(n, v));
    SENDPOOL_TRY(job->end_of_headers());
    for (const auto& chunk : body)
      SENDPOOL_TRY(job->body(chunk));
    return job->finish();
  }

  std::unique_ptr<DkimSignerFactory> factory_;
};

std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

// The message as delivered: the signatures on top, then the headers and the body.
std::string assemble(const std::vector<std::string>& signatures,
                     const Headers& headers = message_headers(),
                     const std::vector<std::string>& body = kBody) {
  std::string out;
  for (const auto& s : signatures)
    out += "DKIM-Signature: " + crlf(s) + "\r\n";
  for (const auto& [n, v] : headers)
    out += n + ": " + crlf(v) + "\r\n";
  out += "\r\n";
  for (const auto& chunk : body)
    out += chunk;
  return out;
}

// The tags of a signature value, whitespace (folds included) removed.
std::map<std::string, std::string> tags_of(const std::string& signature) {
  std::string flat;
  std::copy_if(signature.begin(), signature.end(), std::back_inserter(flat),
               [](char c) { return c != ' ' && c != '\t' && c != '\r' && c != '\n'; });
  std::map<std::string, std::string> out;
  size_t from = 0;
  while (from < flat.size()) {
    size_t end = flat.find(';', from);
    if (end == std::string::npos) end = flat.size();
    std::string tag = flat.substr(from, end - from);
    size_t eq = tag.find('=');
    if (eq != std::string::npos) out[tag.substr(0, eq)] = tag.substr(eq + 1);
    from = end + 1;
  }
  return out;
}

// The lower-cased names of h=.
std::vector<std::string> signed_headers(const std::string& signature) {
  std::string h = tags_of(signature)["h"];
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
  std::vector<std::string> out;
  size_t from = 0;
  for (;;) {
    size_t colon = h.find(':', from);
    out.push_back(h.substr(from, colon - from));
    if (colon == std::string::npos) break;
    from = colon + 1;
  }
  return out;
}

// A file under /tmp holding `content`, removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/sendpool-dkim-test-XXXXXX";
    int fd = ::mkstemp(name);
    if (fd < 0) {
      ADD_FAILURE() << "mkstemp failed";
      return;
    }
    path_ = name;
    size_t done = 0;
    while (done < content.size()) {
      ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n <= 0) {
        ADD_FAILURE() << "write failed";
        break;
      }
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// dkimpy's verdict on each signature of `message`, in header order ("pass" or "fail").
std::vector<std::string> verify(const std::string& message, const std::vector<TestKey>& keys) {
  std::string records;
  for (const auto& k : keys)
    records += dkim_record_name(k.key.selector, k.key.domain) + " " + k.txt + "\n";
  TempFile message_file(message);
  TempFile keys_file(records);
  std::string command = std::string(kPython) + " " SENDPOOL_MILTER_TEST_DIR "/dkim_verify.py " +
                        message_file.path() + " " + keys_file.path();
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) {
    ADD_FAILURE() << "popen failed: " << command;
    return {};
  }
  std::string output;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe))
    output += buf;
  int status = ::pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command << "\n" << output;
  std::vector<std::string> verdicts;
  size_t from = 0;
  while (from < output.size()) {
    size_t nl = output.find('\n', from);
    if (nl == std::string::npos) nl = output.size();
    std::string line = output.substr(from, nl - from);
    size_t space = line.find(' ');
    if (space != std::string::npos) verdicts.push_back(line.substr(space + 1));
    from = nl + 1;
  }
  return verdicts;
}

std::vector<TestKey> all_keys() {
  return {domain_rsa(), domain_ed25519(), platform_rsa()};
}

TEST_F(DkimSignerTest, RsaSignatureIsRelaxedOversignsFromAndVerifies) {
  auto signature = sign(domain_rsa().key);
  ASSERT_TRUE(signature) << signature.error().message;
  auto tags = tags_of(*signature);
  EXPECT_EQ(tags["v"], "1");
  EXPECT_EQ(tags["a"], "rsa-sha256");
  EXPECT_EQ(tags["c"], "relaxed/relaxed");
  EXPECT_EQ(tags["d"], "example.com");
  EXPECT_EQ(tags["s"], "rsa2026");
  EXPECT_EQ(tags.count("l"), 0u) << "the whole body is signed";
  EXPECT_EQ(verify(assemble({*signature}), all_keys()), std::vector<std::string>{"pass"});
}

TEST_F(DkimSignerTest, Ed25519SignatureVerifies) {
  auto signature = sign(domain_ed25519().key);
  ASSERT_TRUE(signature) << signature.error().message;
  auto tags = tags_of(*signature);
  EXPECT_EQ(tags["a"], "ed25519-sha256");
  EXPECT_EQ(tags["c"], "relaxed/relaxed");
  EXPECT_EQ(tags["d"], "example.com");
  EXPECT_EQ(tags["s"], "ed2026");
  EXPECT_EQ(verify(assemble({*signature}), all_keys()), std::vector<std::string>{"pass"});
}

TEST_F(DkimSignerTest, TheHeaderListOversignsFromAndNeverCoversTransitHeaders) {
  for (const TestKey* k : {&domain_rsa(), &domain_ed25519()}) {
    auto signature = sign(k->key);
    ASSERT_TRUE(signature) << signature.error().message;
    std::vector<std::string> h = signed_headers(*signature);
    EXPECT_EQ(std::count(h.begin(), h.end(), "from"), 2) << tags_of(*signature)["h"];
    for (const char* name : {"received", "return-path", "x-mailer", "dkim-signature"})
      EXPECT_EQ(std::count(h.begin(), h.end(), name), 0) << name;
    for (const char* name : {"to", "subject", "date", "message-id", "mime-version", "content-type",
                             "list-unsubscribe", "list-unsubscribe-post", "feedback-id"})
      EXPECT_EQ(std::count(h.begin(), h.end(), name), 1) << name;
  }
}

TEST_F(DkimSignerTest, TheValueIsReadyForInsheaderWithLfFoldsAndNoCr) {
  auto signature = sign(domain_rsa().key);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_EQ(signature->find('\r'), std::string::npos);
  EXPECT_NE(signature->find('\n'), std::string::npos) << "a 2048-bit signature is folded";
  for (size_t i = signature->find('\n'); i != std::string::npos; i = signature->find('\n', i + 1)) {
    ASSERT_LT(i + 1, signature->size());
    EXPECT_TRUE((*signature)[i + 1] == '\t' || (*signature)[i + 1] == ' ');
  }
  EXPECT_NE(signature->front(), ' ') << "no leading space: the name is added by the caller";
}

TEST_F(DkimSignerTest, DomainAndPlatformSignaturesOnOneMessageAllVerify) {
  std::vector<std::string> signatures;
  for (const TestKey* k : {&domain_rsa(), &domain_ed25519(), &platform_rsa()}) {
    auto signature = sign(k->key);
    ASSERT_TRUE(signature) << signature.error().message;
    signatures.push_back(*signature);
  }
  EXPECT_EQ(tags_of(signatures[2])["d"], "platform.example");
  EXPECT_EQ(verify(assemble(signatures), all_keys()),
            (std::vector<std::string>{"pass", "pass", "pass"}));
}

TEST_F(DkimSignerTest, BodyChunkBoundariesDoNotChangeTheSignature) {
  std::string whole;
  for (const auto& chunk : kBody)
    whole += chunk;
  std::vector<std::string> bytes;
  for (char c : whole)
    bytes.emplace_back(1, c);
  auto signature = sign(domain_ed25519().key, message_headers(), bytes);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_EQ(verify(assemble({*signature}), all_keys()), std::vector<std::string>{"pass"});
}

TEST_F(DkimSignerTest, ATamperedMessageFailsVerification) {
  std::vector<std::string> signatures;
  for (const TestKey* k : {&domain_rsa(), &domain_ed25519()}) {
    auto signature = sign(k->key);
    ASSERT_TRUE(signature) << signature.error().message;
    signatures.push_back(*signature);
  }
  const std::vector<std::string> failed = {"fail", "fail"};

  std::vector<std::string> body = kBody;
  body[1] = "\r\nthis is  a TEST.\r\n";
  EXPECT_EQ(verify(assemble(signatures, message_headers(), body), all_keys()), failed)
      << "changed body";

  Headers headers = message_headers();
  headers[4].second = "another subject";
  EXPECT_EQ(verify(assemble(signatures, headers), all_keys()), failed) << "changed Subject";

  headers = message_headers();
  headers.insert(headers.begin(), {"From", "someone@evil.example"});
  EXPECT_EQ(verify(assemble(signatures, headers), all_keys()), failed)
      << "a From: added above the signed one (From is oversigned)";

  // Transit headers are not signed: changing them changes nothing.
  headers = message_headers();
  headers[1].second = "from elsewhere.example by mx2.example";
  EXPECT_EQ(verify(assemble(signatures, headers), all_keys()),
            (std::vector<std::string>{"pass", "pass"}));
}

TEST_F(DkimSignerTest, AnUnusablePrivateKeyIsAnErrorNotACrash) {
  SigningKey bad = domain_rsa().key;
  bad.private_key_pem = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";
  auto signature = sign(bad);
  ASSERT_FALSE(signature);
  EXPECT_EQ(signature.error().code, ErrorCode::kInternal);
  EXPECT_NE(signature.error().message.find("dkim"), std::string::npos) << signature.error().message;
}

}  // namespace
}  // namespace sendpool::milter
