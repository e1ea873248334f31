// Reading a secret (the return-path HMAC key) from a file named in the configuration.
//
// Security: the file holds key material. It must not be readable by others (mode & 007 == 0)
// and must hold at least kMinSecretLength bytes; a trailing newline is not part of the key.
// Thread-safety: pure apart from reading the file.
#pragma once

#include <string>

#include "core/base/result.h"

namespace sendpool {

inline constexpr size_t kMinSecretLength = 16;
inline constexpr size_t kMaxSecretLength = 4096;

Result<std::string> load_secret_file(const std::string& path);

}  // namespace sendpool
