#include "tools/sendpoolctl/cli.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <ostream>

#include "core/base/civil_time.h"
#include "core/store/store.h"

namespace sendpool::ctl {
namespace {

std::vector<Command> all_commands() {
  std::vector<Command> all;
  for (auto group : {customer_commands, plan_commands, account_commands, domain_commands,
                     pool_commands, suppression_commands, stats_commands, reputation_commands,
                     route_commands, events_commands}) {
    auto commands = group();
    all.insert(all.end(), commands.begin(), commands.end());
  }
  return all;
}

void print_usage(std::ostream& os) {
  os << "usage: sendpoolctl [--config FILE] [--store DIR] [--json] COMMAND ...\n\ncommands:\n";
  for (const auto& c : all_commands())
    os << "  " << c.usage << "\n";
}

// Global options may stand anywhere on the line; they are taken out before the command's
// own options are parsed.
struct GlobalOptions {
  std::optional<std::string> config;
  std::optional<std::string> store;
  bool json = false;
  bool help = false;
  bool version = false;
  std::vector<std::string> rest;
};

std::optional<std::string> take_value(const std::vector<std::string>& args, size_t& i,
                                      std::string_view name) {
  const std::string& a = args[i];
  std::string with_eq = std::string(name) + "=";
  if (a.rfind(with_eq, 0) == 0) return a.substr(with_eq.size());
  if (a == name) {
    if (i + 1 >= args.size()) throw UsageError{fmt::format("{} needs a value", name)};
    return args[++i];
  }
  return std::nullopt;
}

GlobalOptions split_global_options(const std::vector<std::string>& args) {
  GlobalOptions g;
  for (size_t i = 0; i < args.size(); ++i) {
    if (auto v = take_value(args, i, "--config")) {
      g.config = v;
    } else if (auto s = take_value(args, i, "--store")) {
      g.store = s;
    } else if (args[i] == "--json") {
      g.json = true;
    } else if (args[i] == "--help" || args[i] == "-h") {
      g.help = true;
    } else if (args[i] == "--version") {
      g.version = true;
    } else {
      g.rest.push_back(args[i]);
    }
  }
  return g;
}

// The configuration: the named file, else the default file when it exists, else defaults.
Result<Config> load_cli_config(const GlobalOptions& g) {
  Config config;
  if (g.config) {
    SENDPOOL_ASSIGN_OR_RETURN(config, load_config(*g.config));
  } else {
    struct stat st;
    if (::stat(kDefaultConfigPath, &st) == 0) {
      SENDPOOL_ASSIGN_OR_RETURN(config, load_config(kDefaultConfigPath));
    }
  }
  if (g.store) config.store = *g.store;
  return config;
}

}  // namespace

Result<LmdbEnv*> Context::store(bool create) {
  if (!store_) {
    LmdbOptions options;
    options.path = config_.store;
    options.map_size = config_.store_map_size;
    options.create = create;
    SENDPOOL_ASSIGN_OR_RETURN(store_, open_store(options));
  }
  return store_.get();
}

Status Context::read(const std::function<Status(const ReadTxn&)>& fn) {
  SENDPOOL_ASSIGN_OR_RETURN(LmdbEnv * env, store(false));
  return env->read(fn);
}

Status Context::change(const std::function<Status(LmdbEnv&)>& fn, bool create) {
  // A refused change must leave no trace, not even the store it would have created (else a
  // mistyped --store becomes a stray empty store). Remember what existed before opening.
  struct stat st;
  const std::string data_file = config_.store + "/data.mdb",
                    lock_file = config_.store + "/lock.mdb";
  bool had_dir = true, had_data = true, had_lock = true;
  if (create && !store_) {
    had_dir = ::stat(config_.store.c_str(), &st) == 0;
    had_data = ::stat(data_file.c_str(), &st) == 0;
    had_lock = ::stat(lock_file.c_str(), &st) == 0;
  }
  SENDPOOL_ASSIGN_OR_RETURN(LmdbEnv * env, store(create));
  Status s = fn(*env);
  if (!s && !had_data) {
    store_.reset();  // closes the environment before its files go
    ::unlink(data_file.c_str());
    if (!had_lock) ::unlink(lock_file.c_str());
    if (!had_dir) ::rmdir(config_.store.c_str());
  }
  return s;
}

int Context::fail(const Error& error) {
  err_ << "sendpoolctl: " << error.message << "\n";
  return kExitRefused;
}

Options parse_args(const std::vector<std::string>& args, const po::options_description& desc,
                   const std::vector<std::string>& positional, bool rest) {
  po::positional_options_description pos;
  for (size_t i = 0; i < positional.size(); ++i) {
    bool last = i + 1 == positional.size();
    pos.add(positional[i].c_str(), last && rest ? -1 : 1);
  }
  Options vm;
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
  po::notify(vm);
  return vm;
}

uint64_t count_arg(const Options& vm, const std::string& option, uint64_t min, uint64_t max) {
  const std::string& text = vm[option].as<std::string>();
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    throw UsageError{fmt::format("--{} expects a whole number from {} to {}, got \"{}\"", option,
                                 min, max, text)};
  return v;
}

uint64_t count_arg(const Options& vm, const std::string& option, uint64_t min, uint64_t max,
                   uint64_t fallback) {
  return vm.count(option) ? count_arg(vm, option, min, max) : fallback;
}

Date parse_date_arg(const std::string& option, const std::string& text) {
  auto d = parse_date(text);
  if (!d)
    throw UsageError{fmt::format("{} expects a date as YYYY-MM-DD, got \"{}\"", option, text)};
  return *d;
}

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  GlobalOptions g;
  try {
    g = split_global_options(args);
  } catch (const UsageError& e) {
    err << "sendpoolctl: " << e.message << "\n";
    return kExitUsage;
  }
  if (g.version) {
    out << "sendpoolctl " << SENDPOOL_VERSION_STRING << "\n";
    return kExitOk;
  }
  if (g.rest.empty() || (g.help && g.rest.size() < 2)) {
    print_usage(g.help ? out : err);
    return g.help ? kExitOk : kExitUsage;
  }

  const std::string& noun = g.rest[0];
  const Command* found = nullptr;
  size_t consumed = 1;
  auto commands = all_commands();
  for (const auto& c : commands) {
    if (noun != c.noun) continue;
    if (c.verb == nullptr) {
      found = &c;
      break;
    }
    if (g.rest.size() > 1 && g.rest[1] == c.verb) {
      found = &c;
      consumed = 2;
      break;
    }
  }
  if (!found) {
    bool known_noun = false;
    for (const auto& c : commands)
      known_noun |= noun == c.noun;
    err << "sendpoolctl: "
        << (known_noun ? fmt::format("unknown {} command", noun)
                       : fmt::format("unknown command \"{}\"", noun))
        << "\n";
    for (const auto& c : commands)
      if (!known_noun || noun == c.noun) err << "  " << c.usage << "\n";
    return kExitUsage;
  }
  if (g.help) {
    out << "usage: sendpoolctl " << found->usage << "\n";
    return kExitOk;
  }

  auto config = load_cli_config(g);
  if (!config) {
    err << "sendpoolctl: " << config.error().message << "\n";
    return kExitConfig;
  }
  Context ctx(std::move(config).value(), g.json, out, err);
  std::vector<std::string> command_args(g.rest.begin() + static_cast<long>(consumed), g.rest.end());
  try {
    return found->run(ctx, command_args);
  } catch (const po::error& e) {
    err << "sendpoolctl: " << e.what() << "\nusage: sendpoolctl " << found->usage << "\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    err << "sendpoolctl: " << e.message << "\nusage: sendpoolctl " << found->usage << "\n";
    return kExitUsage;
  }
}

}  // namespace sendpool::ctl
