// Signer: the streaming interface between the milter's Session and a DKIM implementation.
//
// One SignJob makes one signature: it is fed every header (final order, including the ones
// the milter adds), the end of the headers, the body in chunks, and returns the value of the
// DKIM-Signature header (without the name, folds as "\n\t", no CR). The implementation with
// libopendkim is dkim_signer.cc; tests use a fake.
// Thread-safety: a SignerFactory is shared by all milter threads; each SignJob belongs to one
// message at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/base/result.h"
#include "core/model/entities.h"

namespace sendpool::milter {

struct SigningKey {
  std::string domain;    // d=
  std::string selector;  // s=
  KeyType type = KeyType::kRsa;
  std::string private_key_pem;
};

class SignJob {
 public:
  virtual ~SignJob() = default;
  // One header as "Name" and its value (folds as LF or CRLF; the job normalises).
  virtual Status header(std::string_view name, std::string_view value) = 0;
  virtual Status end_of_headers() = 0;
  // Body bytes with CRLF line ends, as received.
  virtual Status body(std::string_view chunk) = 0;
  // The DKIM-Signature header value.
  virtual Result<std::string> finish() = 0;
};

class SignerFactory {
 public:
  virtual ~SignerFactory() = default;
  // Starts a signature with `key` for the message `job_id` (the queue ID, for logs).
  virtual Result<std::unique_ptr<SignJob>> start(const SigningKey& key,
                                                 std::string_view job_id) = 0;
};

}  // namespace sendpool::milter
