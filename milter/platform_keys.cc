#include "milter/platform_keys.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>

#include "core/crypto/dkim_keygen.h"
#include "core/daemon/secret_file.h"

namespace sendpool::milter {
namespace {

Error config_error(const Config& c, std::string_view key, std::string_view problem) {
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("{}: {}: {}", c.source_file, key, problem));
}

}  // namespace

Result<PlatformSettings> load_platform_settings(const Config& c) {
  const auto& p = c.platform;
  if (p.dkim_domain.empty())
    return config_error(c, "platform.dkim_domain", "required by the milter");
  if (p.dkim_selector.empty())
    return config_error(c, "platform.dkim_selector", "required by the milter");
  if (p.dkim_key_file.empty())
    return config_error(c, "platform.dkim_key_file", "required by the milter");
  if (p.return_path_domain.empty())
    return config_error(c, "platform.return_path_domain", "required by the milter");
  if (p.token_secret_file.empty())
    return config_error(c, "platform.token_secret_file", "required by the milter");

  std::ifstream in(p.dkim_key_file);
  if (!in)
    return config_error(c, "platform.dkim_key_file",
                        fmt::format("cannot read {}", p.dkim_key_file));
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto type = detect_key_type(pem);
  if (!type) return config_error(c, "platform.dkim_key_file", type.error().message);

  auto secret = load_secret_file(p.token_secret_file);
  if (!secret) return config_error(c, "platform.token_secret_file", secret.error().message);

  PlatformSettings s;
  s.keys.push_back(SigningKey{p.dkim_domain, p.dkim_selector, *type, pem});
  s.return_path_domain = p.return_path_domain;
  s.token_secret = *secret;
  s.platform_id = p.id;
  s.unsubscribe_url = p.unsubscribe_url;
  return s;
}

}  // namespace sendpool::milter
