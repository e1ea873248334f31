// The start of every sendpool daemon: command-line flags, configuration, exit codes.
//
// Flags common to all daemons: --config FILE, --check-config (load, validate, exit 0 or 78),
// --version, --foreground (also log to stderr), plus program-specific switches declared by
// the caller (e.g. policyd's --stdio). A bad flag exits 64 (EX_USAGE); an invalid
// configuration exits 78 (EX_CONFIG) with "file:line: key: problem".
// Thread-safety: called once from main.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/daemon/config.h"

namespace sendpool {

inline constexpr int kExitUsage = 64;     // EX_USAGE
inline constexpr int kExitSoftware = 70;  // EX_SOFTWARE
inline constexpr int kExitTempFail = 75;  // EX_TEMPFAIL

struct DaemonFlags {
  std::string config_path = kDefaultConfigPath;
  bool check_config = false;
  bool foreground = false;
  std::vector<std::string> switches;  // program-specific switches that were given
};

// Parses argv. Returns nullopt-like via `exit_code` >= 0 when the program should exit now
// (after --version, --help or a usage error, already reported).
struct ParsedFlags {
  DaemonFlags flags;
  int exit_code = -1;
};
ParsedFlags parse_daemon_flags(int argc, char** argv, const std::string& program,
                               const std::vector<std::pair<std::string, std::string>>& switches);

// Loads the configuration, then runs `check` (program-specific requirements, e.g. a key file
// that must exist). Prints problems on stderr. Returns the config, or the exit code (78).
struct LoadedConfig {
  Config config;
  int exit_code = -1;
};
LoadedConfig load_daemon_config(const DaemonFlags& flags, const std::string& program,
                                const std::function<Status(const Config&)>& check);

LogLevel log_level_from(const Config& config);

}  // namespace sendpool
