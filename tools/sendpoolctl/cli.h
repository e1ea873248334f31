// The command-line skeleton of sendpoolctl: the context every command gets, the command
// table, argument parsing helpers and the exit codes.
//
// A command is a function (Context&, args) -> exit code. It parses its own options with
// Boost.Program_options (a parse error is a usage error, exit 2), calls the store's admin
// operations or reads, and prints a human table or JSON. A refused operation prints one line
// on stderr and exits 1; the store is then unchanged, because every change runs in one
// transaction that is only committed when all checks passed.
// Thread-safety: single-threaded program.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "core/daemon/config.h"
#include "core/store/lmdb_env.h"

namespace sendpool::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;

// A usage mistake found by a command after option parsing (exit 2).
struct UsageError {
  std::string message;
};

class Context {
 public:
  Context(Config config, bool json, std::ostream& out, std::ostream& err)
      : config_(std::move(config)), json_(json), out_(out), err_(err) {}

  const Config& config() const { return config_; }
  bool json() const { return json_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  const Clock& clock() const { return clock_; }

  // The store, opened on first use. `create` makes a new store when none exists (commands
  // that add things); read commands on a missing store fail with "no store at …".
  Result<LmdbEnv*> store(bool create);

  // Runs `fn` in a read transaction of the existing store.
  Status read(const std::function<Status(const ReadTxn&)>& fn);
  // Runs `fn` (an admin operation) against the store, creating the store when `create`.
  Status change(const std::function<Status(LmdbEnv&)>& fn, bool create = false);

  // Prints "sendpoolctl: <message>" on stderr and returns the exit code for `error`.
  int fail(const Error& error);

 private:
  Config config_;
  bool json_;
  std::ostream& out_;
  std::ostream& err_;
  SystemClock clock_;
  std::unique_ptr<LmdbEnv> store_;
};

using CommandFn = int (*)(Context& ctx, const std::vector<std::string>& args);

struct Command {
  const char* noun;
  const char* verb;  // nullptr: the noun alone is the command ("stats USER")
  CommandFn run;
  const char* usage;
};

// The parsed options of one command.
using Options = boost::program_options::variables_map;
namespace po = boost::program_options;

// Parses `args` against `desc`, binding bare arguments to the names in `positional` in order
// (the last may repeat when `rest` is true). Throws po::error on bad input (exit 2).
Options parse_args(const std::vector<std::string>& args, const po::options_description& desc,
                   const std::vector<std::string>& positional, bool rest = false);

// The unsigned number given for `option`, within [min, max]; throws UsageError otherwise
// (Boost would silently wrap "-1" into a huge unsigned value).
uint64_t count_arg(const Options& vm, const std::string& option, uint64_t min, uint64_t max);
// Same, with `fallback` when the option is absent.
uint64_t count_arg(const Options& vm, const std::string& option, uint64_t min, uint64_t max,
                   uint64_t fallback);

// Parses "YYYY-MM-DD" or throws UsageError naming the option.
Date parse_date_arg(const std::string& option, const std::string& text);

// The commands of each noun, defined in the *_commands.cc files.
std::vector<Command> customer_commands();
std::vector<Command> plan_commands();
std::vector<Command> account_commands();
std::vector<Command> domain_commands();
std::vector<Command> pool_commands();
std::vector<Command> suppression_commands();
std::vector<Command> stats_commands();
std::vector<Command> reputation_commands();
std::vector<Command> route_commands();
std::vector<Command> events_commands();

// Runs sendpoolctl with argv-style arguments (without the program name); returns the exit
// code. main() only calls this, so tests can drive the whole CLI in-process.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace sendpool::ctl
