// DkimSignerFactory: SignerFactory implemented with libopendkim (the only code that includes
// <opendkim/dkim.h>).
//
// relaxed/relaxed canonicalization; rsa-sha256 or ed25519-sha256 by key type; an explicit
// header list (kSignedHeaders) with From oversigned, so a From: added in transit breaks the
// signature; never Received or Return-Path.
// Security: key material comes from the store and the platform key file; errors from the
// library become Status errors, which the milter turns into a temporary failure.
// Thread-safety: the DKIM_LIB handle is shared (libopendkim documents it as thread-safe once
// its options are set, which happens in the constructor only); each job has its own handle.
#pragma once

#include <memory>

#include "milter/signer.h"

namespace sendpool::milter {

class DkimSignerFactory final : public SignerFactory {
 public:
  static Result<std::unique_ptr<DkimSignerFactory>> create();
  ~DkimSignerFactory() override;

  Result<std::unique_ptr<SignJob>> start(const SigningKey& key, std::string_view job_id) override;

 private:
  DkimSignerFactory() = default;
  void* lib_ = nullptr;  // DKIM_LIB*
};

}  // namespace sendpool::milter
