#include "core/daemon/secret_file.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace sendpool {

Result<std::string> load_secret_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return make_error(ErrorCode::kNotFound,
                      fmt::format("{}: cannot read the secret: {}", path, std::strerror(errno)));
  if ((st.st_mode & 007) != 0)
    return make_error(ErrorCode::kRefused,
                      fmt::format("{}: the secret is readable by others (chmod o-rwx)", path));
  if (st.st_size > static_cast<off_t>(kMaxSecretLength))
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: too large for a secret", path));
  std::ifstream in(path, std::ios::binary);
  std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
    secret.pop_back();
  if (secret.size() < kMinSecretLength)
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: a secret needs at least {} bytes", path, kMinSecretLength));
  return secret;
}

}  // namespace sendpool
