#include "milter/dkim_signer.h"

#include <fmt/format.h>

// dkim.h is C99 and spells its booleans _Bool, which C++ calls bool (same ABI on our targets).
#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool

#include <cstring>

namespace sendpool::milter {
namespace {

// The headers every signature covers when present; From is oversigned as well. Fixed so a
// verifier can rely on it, and so nothing added in transit (Received, Return-Path) is signed.
const char* kSignedHeaders[] = {"From",
                                "Sender",
                                "Reply-To",
                                "To",
                                "Cc",
                                "Subject",
                                "Date",
                                "Message-ID",
                                "MIME-Version",
                                "Content-Type",
                                "Content-Transfer-Encoding",
                                "In-Reply-To",
                                "References",
                                "List-Id",
                                "List-Unsubscribe",
                                "List-Unsubscribe-Post",
                                "Feedback-ID",
                                nullptr};
const char* kOversignedHeaders[] = {"From", nullptr};

DKIM_LIB* as_lib(void* p) {
  return static_cast<DKIM_LIB*>(p);
}

Error dkim_error(DKIM_STAT status, std::string_view what, DKIM* dkim = nullptr) {
  const char* detail = dkim ? dkim_geterror(dkim) : nullptr;
  return make_error(ErrorCode::kInternal,
                    fmt::format("dkim {}: {}{}{}", what, dkim_getresultstr(status),
                                detail ? ": " : "", detail ? detail : ""));
}

// "\n" folds become "\r\n" (libopendkim wants CRLF inside a header).
std::string crlf_folds(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out.push_back('\r');
    out.push_back(text[i]);
  }
  return out;
}

class DkimJob final : public SignJob {
 public:
  explicit DkimJob(DKIM* dkim) : dkim_(dkim) {}
  ~DkimJob() override { dkim_free(dkim_); }

  Status header(std::string_view name, std::string_view value) override {
    std::string line = crlf_folds(fmt::format("{}: {}", name, value));
    DKIM_STAT s = dkim_header(dkim_, reinterpret_cast<u_char*>(line.data()), line.size());
    if (s != DKIM_STAT_OK) return dkim_error(s, "header", dkim_);
    return ok_status();
  }

  Status end_of_headers() override {
    DKIM_STAT s = dkim_eoh(dkim_);
    if (s != DKIM_STAT_OK) return dkim_error(s, "end of headers", dkim_);
    return ok_status();
  }

  Status body(std::string_view chunk) override {
    if (chunk.empty()) return ok_status();
    std::string copy(chunk);
    DKIM_STAT s = dkim_body(dkim_, reinterpret_cast<u_char*>(copy.data()), copy.size());
    if (s != DKIM_STAT_OK) return dkim_error(s, "body", dkim_);
    return ok_status();
  }

  Result<std::string> finish() override {
    DKIM_STAT s = dkim_eom(dkim_, nullptr);
    if (s != DKIM_STAT_OK) return dkim_error(s, "signing", dkim_);
    u_char* buf = nullptr;
    size_t len = 0;
    s = dkim_getsighdr_d(dkim_, std::strlen(DKIM_SIGNHEADER) + 2, &buf, &len);
    if (s != DKIM_STAT_OK) return dkim_error(s, "signature header", dkim_);
    std::string value;
    for (size_t i = 0; i < len; ++i)
      if (buf[i] != '\r') value.push_back(static_cast<char>(buf[i]));
    return value;
  }

 private:
  DKIM* dkim_;
};

}  // namespace

Result<std::unique_ptr<DkimSignerFactory>> DkimSignerFactory::create() {
  std::unique_ptr<DkimSignerFactory> f(new DkimSignerFactory());
  DKIM_LIB* lib = dkim_init(nullptr, nullptr);
  if (!lib) return make_error(ErrorCode::kInternal, "dkim_init failed");
  f->lib_ = lib;
  // The option takes the array itself, with the size of one pointer (a documented oddity).
  if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, kSignedHeaders, sizeof(char**)) !=
          DKIM_STAT_OK ||
      dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, kOversignedHeaders,
                   sizeof(char**)) != DKIM_STAT_OK)
    return make_error(ErrorCode::kInternal, "cannot set the DKIM header lists");
  if (!dkim_libfeature(lib, DKIM_FEATURE_ED25519))
    return make_error(ErrorCode::kInternal, "libopendkim was built without ed25519 support");
  return f;
}

DkimSignerFactory::~DkimSignerFactory() {
  if (lib_) dkim_close(as_lib(lib_));
}

Result<std::unique_ptr<SignJob>> DkimSignerFactory::start(const SigningKey& key,
                                                          std::string_view job_id) {
  DKIM_STAT status = DKIM_STAT_OK;
  std::string id = job_id.empty() ? std::string("sendpool") : std::string(job_id);
  dkim_alg_t alg = key.type == KeyType::kEd25519 ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256;
  std::string pem = key.private_key_pem;  // dkim_sign takes a mutable pointer
  DKIM* dkim = dkim_sign(as_lib(lib_), reinterpret_cast<const u_char*>(id.c_str()), nullptr,
                         reinterpret_cast<dkim_sigkey_t>(pem.data()),
                         reinterpret_cast<const u_char*>(key.selector.c_str()),
                         reinterpret_cast<const u_char*>(key.domain.c_str()), DKIM_CANON_RELAXED,
                         DKIM_CANON_RELAXED, alg, -1, &status);
  if (!dkim || status != DKIM_STAT_OK) {
    if (dkim) dkim_free(dkim);
    return dkim_error(status,
                      fmt::format("starting a signature for {} ({})", key.domain, key.selector));
  }
  return std::unique_ptr<SignJob>(std::make_unique<DkimJob>(dkim));
}

}  // namespace sendpool::milter
