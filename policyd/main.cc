// sendpool-policyd: quotas, rate limits and counting (Postfix policy delegation), pool
// routing (socketmap) and SMTP AUTH (Dovecot protocol) against the sendpool store.
// See sendpool-policyd(8). main() only wires the parts together.
#include <fmt/format.h>

#include "core/daemon/daemon_main.h"
#include "core/daemon/secret_file.h"
#include "core/store/store.h"
#include "policyd/server.h"

namespace {

constexpr const char* kProgram = "sendpool-policyd";

// What policyd needs beyond a valid file.
sendpool::Status check_policyd_config(const sendpool::Config& c) {
  using sendpool::make_error, sendpool::ErrorCode;
  if (c.platform.return_path_domain.empty())
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: platform.return_path_domain: required by {}", c.source_file, kProgram));
  if (c.platform.token_secret_file.empty())
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: platform.token_secret_file: required by {}", c.source_file, kProgram));
  auto secret = sendpool::load_secret_file(c.platform.token_secret_file);
  if (!secret)
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: platform.token_secret_file: {}", c.source_file, secret.error().message));
  return sendpool::ok_status();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sendpool;
  auto parsed = parse_daemon_flags(
      argc, argv, kProgram, {{"--stdio", "serve one policy connection on stdin/stdout (spawn)"}});
  if (parsed.exit_code >= 0) return parsed.exit_code;
  auto loaded = load_daemon_config(parsed.flags, kProgram, check_policyd_config);
  if (loaded.exit_code >= 0) return loaded.exit_code;
  const Config& config = loaded.config;
  bool stdio = !parsed.flags.switches.empty();

  Logger log(kProgram, true, parsed.flags.foreground, log_level_from(config));
  LmdbOptions options{config.store, config.store_map_size, false, true, 1024};
  auto env = open_store(options);
  if (!env) {
    log.error("{}", env.error().message);
    return kExitTempFail;
  }
  policyd::Server server(config, **env, *load_secret_file(config.platform.token_secret_file), log);
  if (stdio) {
    server.run_stdio();
    return 0;
  }
  if (Status s = server.open_listeners(); !s) {
    log.error("{}", s.error().message);
    return kExitSoftware;
  }
  server.run();
  return 0;
}
