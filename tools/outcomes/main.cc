// sendpool-outcomes: follows Postfix's delivery log (outcomes.maillog_file, --file PATH or
// --stdin) and turns it into delivered and bounced counters, hard-bounce suppressions and
// refunds of rejected messages; see follower.h and core/store/outcomes.h. After each batch the
// reputation of the accounts it touched is recomputed in the same transaction (standing.h).
// main() only wires the parts together.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/daemon/daemon_main.h"
#include "core/daemon/secret_file.h"
#include "core/store/standing.h"
#include "core/store/store.h"
#include "tools/outcomes/follower.h"

namespace {

constexpr const char* kProgram = "sendpool-outcomes";

sendpool::Status check_outcomes_config(const sendpool::Config& c) {
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

// "--file PATH" and "--file=PATH" taken out of argv: the shared parser knows plain switches only.
struct FileFlag {
  std::optional<std::string> path;
  bool missing_value = false;
  std::vector<char*> rest;
};

FileFlag take_file_flag(int argc, char** argv) {
  FileFlag out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i > 0 && a == "--file") {
      if (i + 1 >= argc) out.missing_value = true;
      if (i + 1 < argc) out.path = argv[++i];
    } else if (i > 0 && a.starts_with("--file=")) {
      out.path = a.substr(7);
    } else {
      out.rest.push_back(argv[i]);
    }
  }
  out.rest.push_back(nullptr);
  return out;
}

// The reputation (score, guardrail, pool) of the accounts a batch changed.
sendpool::Status recompute_changed(sendpool::WriteTxn& txn,
                                   const std::set<sendpool::AccountId>& accounts,
                                   sendpool::TimePoint now, std::vector<std::string>& notes) {
  for (sendpool::AccountId id : accounts) {
    auto change = sendpool::recompute_standing(txn, id, now);
    if (!change) {
      if (change.error().code == sendpool::ErrorCode::kNotFound) continue;  // account removed
      return change.error();
    }
    if (change->changed()) notes.push_back(change->summary());
  }
  return sendpool::ok_status();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sendpool;
  FileFlag file = take_file_flag(argc, argv);
  auto parsed = parse_daemon_flags(
      static_cast<int>(file.rest.size() - 1), file.rest.data(), kProgram,
      {{"--file PATH", "follow PATH instead of outcomes.maillog_file"},
       {"--stdin", "apply the lines read from standard input, then exit (no stored position)"},
       {"--once", "apply what the log holds now, then exit"}});
  if (parsed.exit_code >= 0) return parsed.exit_code;
  const auto& switches = parsed.flags.switches;
  bool once = std::find(switches.begin(), switches.end(), "--once") != switches.end();
  bool from_stdin = std::find(switches.begin(), switches.end(), "--stdin") != switches.end();
  if (file.missing_value || (file.path && (file.path->empty() || from_stdin))) {
    std::fprintf(stderr, "%s: --file needs a path and excludes --stdin\n", kProgram);
    return kExitUsage;
  }
  auto loaded = load_daemon_config(parsed.flags, kProgram, check_outcomes_config);
  if (loaded.exit_code >= 0) return loaded.exit_code;
  const Config& config = loaded.config;

  Logger log(kProgram, true, parsed.flags.foreground, log_level_from(config));
  LmdbOptions store{config.store, config.store_map_size, false, true, 1024};
  auto env = open_store(store);
  if (!env) {
    log.error("{}", env.error().message);
    return kExitTempFail;
  }
  outcomes::FollowerOptions options;
  options.path = file.path.value_or(config.outcomes.maillog_file);
  options.settings = {config.platform.return_path_domain,
                      *load_secret_file(config.platform.token_secret_file)};
  options.on_accounts_changed = recompute_changed;
  SystemClock clock;
  if (from_stdin) {
    auto done = outcomes::apply_stream(**env, 0, options, clock, log);
    if (!done) {
      log.error("outcomes: standard input: {}", done.error().message);
      return kExitTempFail;
    }
    return 0;
  }
  outcomes::block_stop_signals();
  outcomes::LogFollower follower(**env, std::move(options), clock, log);
  return outcomes::run_follower(follower, config.outcomes.poll_interval, once, log);
}
