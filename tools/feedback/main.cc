// sendpool-feedback: DSNs, ARF complaints and unsubscribe mail to the return-path domain,
// one message per run from Postfix's pipe(8) (see feedback_run.h for the exit codes).
// main() only wires the parts together.
#include <csignal>

#include "core/daemon/daemon_main.h"
#include "core/daemon/secret_file.h"
#include "core/store/store.h"
#include "tools/feedback/feedback_run.h"

int main(int argc, char** argv) {
  using namespace sendpool;
  using namespace sendpool::feedback;
  std::signal(SIGPIPE, SIG_IGN);  // a forwarding sendmail that exits early is not fatal
  ParsedOptions parsed = parse_options(argc, argv);
  if (parsed.exit_code >= 0) return parsed.exit_code;
  const Options& options = parsed.options;

  Platform platform;
  DaemonFlags flags{options.config_path, options.check_config, options.foreground, {}};
  auto loaded = load_daemon_config(flags, kProgram, [&](const Config& c) -> Status {
    if (c.platform.return_path_domain.empty() || c.platform.token_secret_file.empty())
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: platform.return_path_domain and "
                                    "platform.token_secret_file are required",
                                    c.source_file));
    SENDPOOL_ASSIGN_OR_RETURN(platform.secret, load_secret_file(c.platform.token_secret_file));
    platform.return_path_domain = c.platform.return_path_domain;
    return ok_status();
  });
  if (loaded.exit_code >= 0) return loaded.exit_code;
  const Config& config = loaded.config;
  // Under pipe(8) stderr becomes the delivery status text in Postfix's log: one line helps.
  Logger log(kProgram, true, true, log_level_from(config));

  auto message = read_bounded(STDIN_FILENO, kMaxInputSize);
  if (!message) {
    log.warning("{}", message.error().message);
    return message.error().code == ErrorCode::kIo ? kExitTempFail : kExitDataErr;
  }
  auto env = open_store(LmdbOptions{config.store, config.store_map_size, false, true, 1024});
  if (!env) {
    log.error("store unavailable, Postfix will retry: {}", env.error().message);
    return kExitTempFail;
  }
  SystemClock clock;
  Processed done = process_message(*message, options, platform, **env, clock, log);
  if (done.exit_code == 0 && !done.forward_to.empty()) {
    if (Status s = forward_message(options.sendmail, done.forward_to, *message); !s)
      log.warning("not forwarded to {}: {}", sanitize(done.forward_to, 100), s.error().message);
    else
      log.info("forwarded to {}", sanitize(done.forward_to, 100));
  }
  return done.exit_code;
}
