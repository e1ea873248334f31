#include "core/daemon/daemon_main.h"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>

namespace sendpool {

ParsedFlags parse_daemon_flags(int argc, char** argv, const std::string& program,
                               const std::vector<std::pair<std::string, std::string>>& switches) {
  ParsedFlags out;
  auto usage = [&](std::FILE* to) {
    std::fprintf(to, "usage: %s [--config FILE] [--check-config] [--foreground] [--version]",
                 program.c_str());
    for (const auto& [name, help] : switches)
      std::fprintf(to, " [%s]", name.c_str());
    std::fprintf(to, "\n");
    for (const auto& [name, help] : switches)
      std::fprintf(to, "  %s  %s\n", name.c_str(), help.c_str());
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--version") {
      std::printf("%s %s\n", program.c_str(), SENDPOOL_VERSION_STRING);
      out.exit_code = 0;
      return out;
    }
    if (a == "--help" || a == "-h") {
      usage(stdout);
      out.exit_code = 0;
      return out;
    }
    if (a == "--config" && i + 1 < argc) {
      out.flags.config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      out.flags.config_path = a.substr(9);
    } else if (a == "--check-config") {
      out.flags.check_config = true;
    } else if (a == "--foreground") {
      out.flags.foreground = true;
    } else {
      bool known = false;
      for (const auto& [name, help] : switches)
        known |= a == name;
      if (!known) {
        std::fprintf(stderr, "%s: unknown option %s\n", program.c_str(), a.c_str());
        usage(stderr);
        out.exit_code = kExitUsage;
        return out;
      }
      out.flags.switches.push_back(a);
    }
  }
  return out;
}

LoadedConfig load_daemon_config(const DaemonFlags& flags, const std::string& program,
                                const std::function<Status(const Config&)>& check) {
  LoadedConfig out;
  auto config = load_config(flags.config_path);
  if (!config) {
    std::cerr << program << ": " << config.error().message << "\n";
    out.exit_code = kExitConfig;
    return out;
  }
  if (Status s = check(*config); !s) {
    std::cerr << program << ": " << s.error().message << "\n";
    out.exit_code = kExitConfig;
    return out;
  }
  out.config = std::move(config).value();
  if (flags.check_config) {
    std::cout << program << ": " << flags.config_path << ": configuration is valid\n";
    out.exit_code = 0;
  }
  return out;
}

LogLevel log_level_from(const Config& config) {
  const std::string& l = config.logging.level;
  if (l == "debug") return LogLevel::kDebug;
  if (l == "warning") return LogLevel::kWarning;
  if (l == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

}  // namespace sendpool
