// Logger: one line per event, to syslog (facility mail) and, in the foreground, to stderr.
//
// A Logger is created by each program's main and handed to whatever logs; there is no global
// logger. Messages are lower case and name the account, queue ID and peer where known.
// Security: text that came from a peer must go through sanitize() before it is logged, so a
// hostile client cannot forge log lines or smuggle control characters into the log.
// Thread-safety: log calls may come from any thread (syslog(3) and one write(2) per line).
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace sendpool {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

class Logger {
 public:
  // `ident` is the program name shown in syslog ("sendpool-milter"). `to_syslog` opens the
  // mail facility; `to_stderr` mirrors each line on stderr (foreground runs, tests, CLIs).
  Logger(std::string ident, bool to_syslog, bool to_stderr, LogLevel min_level = LogLevel::kInfo);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void log(LogLevel level, std::string_view message) const;

  template <typename... Args>
  void info(fmt::format_string<Args...> f, Args&&... args) const {
    log(LogLevel::kInfo, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void warning(fmt::format_string<Args...> f, Args&&... args) const {
    log(LogLevel::kWarning, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void error(fmt::format_string<Args...> f, Args&&... args) const {
    log(LogLevel::kError, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void debug(fmt::format_string<Args...> f, Args&&... args) const {
    if (min_level_ <= LogLevel::kDebug)
      log(LogLevel::kDebug, fmt::format(f, std::forward<Args>(args)...));
  }

 private:
  std::string ident_;
  bool to_syslog_;
  bool to_stderr_;
  LogLevel min_level_;
};

// Makes untrusted text safe for one log line: non-printable bytes become '?', and the result
// is cut to `max_length` bytes with "..." appended when it was longer.
std::string sanitize(std::string_view text, size_t max_length = 200);

}  // namespace sendpool
