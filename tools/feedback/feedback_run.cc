#include "tools/feedback/feedback_run.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/base/civil_time.h"
#include "core/daemon/config.h"
#include "core/daemon/daemon_main.h"
#include "core/proto/address.h"
#include "core/proto/mime_message.h"
#include "core/store/feedback.h"
#include "core/store/standing.h"
#include "core/store/tables.h"
#include "tools/feedback/inbound.h"

namespace sendpool::feedback {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: %s [--config FILE] [--recipient ADDR] [--sender ADDR] [--client ADDR]\n"
               "       [--forward-dsn] [--sendmail PATH] [--check-config] [--foreground] "
               "[--version]\n"
               "Reads one message (a DSN, an ARF report or an unsubscribe mail) on stdin.\n",
               kProgram);
}

// "--name VALUE" or "--name=VALUE"; advances i past a separate value.
bool take(int argc, char** argv, int& i, std::string_view name, std::string& value, bool& bad) {
  std::string_view a = argv[i];
  if (a.size() > name.size() && a.substr(0, name.size()) == name && a[name.size()] == '=') {
    value = std::string(a.substr(name.size() + 1));
    return true;
  }
  if (a != name) return false;
  if (i + 1 >= argc) {
    std::fprintf(stderr, "%s: %s needs a value\n", kProgram, argv[i]);
    bad = true;
    return true;
  }
  value = argv[++i];
  return true;
}

const char* kind_name(ReportKind kind) {
  switch (kind) {
    case ReportKind::kBounce:
      return "bounce";
    case ReportKind::kComplaint:
      return "complaint";
    case ReportKind::kUnsubscribe:
      return "unsubscribe";
  }
  return "report";
}

}  // namespace

ParsedOptions parse_options(int argc, char** argv) {
  ParsedOptions out;
  out.options.config_path = kDefaultConfigPath;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    std::string value;
    bool bad = false;
    if (a == "--version") {
      std::printf("%s %s\n", kProgram, SENDPOOL_VERSION_STRING);
      out.exit_code = 0;
      return out;
    }
    if (a == "--help" || a == "-h") {
      usage(stdout);
      out.exit_code = 0;
      return out;
    }
    if (take(argc, argv, i, "--config", out.options.config_path, bad) ||
        take(argc, argv, i, "--recipient", out.options.recipient, bad) ||
        take(argc, argv, i, "--sender", out.options.sender, bad) ||
        take(argc, argv, i, "--sendmail", out.options.sendmail, bad)) {
    } else if (take(argc, argv, i, "--client", value, bad)) {
      out.options.client = value;
    } else if (a == "--forward-dsn") {
      out.options.forward_dsn = true;
    } else if (a == "--check-config") {
      out.options.check_config = true;
    } else if (a == "--foreground") {
      out.options.foreground = true;
    } else {
      std::fprintf(stderr, "%s: unknown option %s\n", kProgram, argv[i]);
      bad = true;
    }
    if (bad) {
      usage(stderr);
      out.exit_code = kExitUsage;
      return out;
    }
  }
  return out;
}

Result<std::string> read_bounded(int fd, size_t max) {
  std::string out;
  char buffer[kReadChunk];
  bool too_large = false;
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return make_error(ErrorCode::kIo,
                        fmt::format("reading the message: {}", std::strerror(errno)));
    if (n == 0) break;
    if (too_large) continue;  // drain, so Postfix sees us take the whole message
    if (out.size() + static_cast<size_t>(n) > max) {
      too_large = true;
      continue;
    }
    out.append(buffer, static_cast<size_t>(n));
  }
  if (too_large)
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("the message is larger than {} bytes", max));
  return out;
}

Processed process_message(std::string_view message, const Options& options,
                          const Platform& platform, LmdbEnv& env, const Clock& clock,
                          const Logger& log) {
  InboundContext context{options.recipient, options.sender, platform.return_path_domain,
                         platform.secret};
  Verdict v = analyze_inbound(message, context);
  std::string who =
      options.recipient.empty() ? "" : " (to " + sanitize(options.recipient, 100) + ")";
  if (v.disposition == Disposition::kUnparseable) {
    log.warning("unparseable: {}{}", v.reason, who);
    return {kExitDataErr, {}};
  }
  if (v.disposition == Disposition::kIgnore) {
    if (v.forged)
      log.warning("forged token, ignored: {}{}", v.reason, who);
    else
      log.info("ignored: {}{}", v.reason, who);
    return {0, {}};
  }

  FeedbackTarget target{v.token.account, v.token.day, v.token.tag};
  bool early = options.client.has_value() && options.client->empty();
  FeedbackSummary summary;
  std::string bounce_address, standing_note;
  TimePoint now = clock.now();
  Status s = env.write([&](WriteTxn& txn) -> Status {
    bounce_address.clear();
    switch (v.kind) {
      case ReportKind::kBounce: {
        SENDPOOL_ASSIGN_OR_RETURN(summary, apply_bounce(txn, target, v.bounced, early, now));
        break;
      }
      case ReportKind::kComplaint: {
        SENDPOOL_ASSIGN_OR_RETURN(
            summary, apply_complaint(txn, target, v.complaint_recipient, v.feedback_type, now));
        break;
      }
      case ReportKind::kUnsubscribe: {
        SENDPOOL_ASSIGN_OR_RETURN(summary, apply_unsubscribe(txn, target, v.unsubscriber, now));
        break;
      }
    }
    if (summary.known_account) {
      SENDPOOL_ASSIGN_OR_RETURN(auto account, tables::get_account_by_id(txn, target.account));
      if (account) bounce_address = account->bounce_address;
    }
    standing_note.clear();
    if (summary.known_account && summary.counted > 0) {
      // Reputation follows the counters in the same transaction (standing.h).
      SENDPOOL_ASSIGN_OR_RETURN(StandingChange change,
                                recompute_standing(txn, target.account, now));
      if (change.changed()) standing_note = change.summary();
    }
    return ok_status();
  });
  if (!s) {
    log.error("{} for account id {} not applied, Postfix will retry: {}", kind_name(v.kind),
              target.account, s.error().message);
    return {kExitTempFail, {}};
  }
  if (!summary.known_account) {
    log.info("{} for unknown account id {} ignored", kind_name(v.kind), target.account);
    return {0, {}};
  }
  // The first ~100 bytes of this line are what Postfix's log shows of it (pipe(8) output).
  std::string line =
      fmt::format("{} for account {} of {}: {} counted", kind_name(v.kind), target.account,
                  format_date(date_from_day_number(target.day)), summary.counted);
  if (summary.early) line += fmt::format(", {} left to the delivery log", summary.early);
  line += fmt::format(", {} suppressed", summary.suppressed);
  if (summary.duplicates) line += fmt::format(", {} already applied", summary.duplicates);
  if (summary.invalid_addresses)
    line += fmt::format(", {} invalid addresses", summary.invalid_addresses);
  if (v.kind == ReportKind::kComplaint)
    line += fmt::format(
        " (type {}, recipient {})", v.feedback_type,
        v.complaint_recipient.empty() ? "unknown" : sanitize(v.complaint_recipient, 100));
  line += fmt::format("; tag {}", v.token.tag);
  log.info("{}", line);
  if (!standing_note.empty()) log.info("{}", standing_note);

  Processed out;
  bool fresh = summary.counted + summary.early > 0;
  if (options.forward_dsn && v.kind == ReportKind::kBounce && fresh && !bounce_address.empty() &&
      !iequals_ascii(std::string(domain_of(bounce_address)), platform.return_path_domain))
    out.forward_to = bounce_address;
  return out;
}

Status forward_message(const std::string& sendmail, const std::string& address,
                       std::string_view message) {
  if (::access(sendmail.c_str(), X_OK) != 0)
    return make_error(ErrorCode::kNotFound, fmt::format("{} is not there", sendmail));
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return make_error(ErrorCode::kIo, fmt::format("pipe: {}", std::strerror(errno)));
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return make_error(ErrorCode::kIo, fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(fds[0], STDIN_FILENO);
    const char* args[] = {sendmail.c_str(), "-i", "-f", "<>", "--", address.c_str(), nullptr};
    ::execv(sendmail.c_str(), const_cast<char* const*>(args));
    ::_exit(127);
  }
  ::close(fds[0]);
  size_t written = 0;
  while (written < message.size()) {
    ssize_t n = ::write(fds[1], message.data() + written, message.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  ::close(fds[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (written < message.size() || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return make_error(ErrorCode::kIo, fmt::format("{} failed (status {})", sendmail, status));
  return ok_status();
}

}  // namespace sendpool::feedback
