#include "core/base/log.h"

#include <syslog.h>
#include <unistd.h>

namespace sendpool {
namespace {

int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return LOG_DEBUG;
    case LogLevel::kInfo:
      return LOG_INFO;
    case LogLevel::kWarning:
      return LOG_WARNING;
    case LogLevel::kError:
      return LOG_ERR;
  }
  return LOG_ERR;
}

const char* level_prefix(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug: ";
    case LogLevel::kInfo:
      return "";
    case LogLevel::kWarning:
      return "warning: ";
    case LogLevel::kError:
      return "error: ";
  }
  return "";
}

}  // namespace

Logger::Logger(std::string ident, bool to_syslog, bool to_stderr, LogLevel min_level)
    : ident_(std::move(ident)),
      to_syslog_(to_syslog),
      to_stderr_(to_stderr),
      min_level_(min_level) {
  // openlog keeps the pointer, so it must outlive every syslog call: ident_ is a member.
  if (to_syslog_) openlog(ident_.c_str(), LOG_PID | LOG_NDELAY, LOG_MAIL);
}

Logger::~Logger() {
  if (to_syslog_) closelog();
}

void Logger::log(LogLevel level, std::string_view message) const {
  if (level < min_level_) return;
  if (to_syslog_) {
    syslog(syslog_priority(level), "%s%.*s", level_prefix(level), static_cast<int>(message.size()),
           message.data());
  }
  if (to_stderr_) {
    std::string line = fmt::format("{}: {}{}\n", ident_, level_prefix(level), message);
    // One write per line keeps lines from different threads whole.
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  }
}

std::string sanitize(std::string_view text, size_t max_length) {
  std::string out;
  size_t n = text.size() < max_length ? text.size() : max_length;
  out.reserve(n + 3);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  if (text.size() > max_length) out += "...";
  return out;
}

}  // namespace sendpool
