// sendpoolctl suppression add | remove | list | import | export
#include <fmt/format.h>

#include <fstream>

#include "core/base/civil_time.h"
#include "core/proto/address.h"
#include "core/proto/csv_line.h"
#include "core/store/admin.h"
#include "core/store/tables.h"
#include "tools/sendpoolctl/cli.h"
#include "tools/sendpoolctl/output.h"

namespace sendpool::ctl {
namespace {

// Bounds a file import: far above any real list, small enough to stay in memory.
constexpr size_t kMaxImportEntries = 20'000'000;

// USER or --global, as every suppression command takes them.
void add_scope_options(po::options_description& desc) {
  desc.add_options()("user", po::value<std::string>(), "account username")(
      "global", "the platform-wide list");
}

std::optional<std::string> scope_of(const Options& vm) {
  bool global = vm.count("global") > 0, user = vm.count("user") > 0;
  if (global == user) throw UsageError{"name an account or --global (one of them)"};
  if (global) return std::nullopt;
  return vm["user"].as<std::string>();
}

std::string scope_text(const std::optional<std::string>& user) {
  return user ? "account " + *user : "the platform-wide list";
}

SuppressionReason reason_arg(const std::string& text) {
  auto r = parse_suppression_reason(text);
  if (!r) throw UsageError{"--reason must be bounce, complaint, unsubscribe or manual"};
  return *r;
}

int suppression_add(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  add_scope_options(desc);
  desc.add_options()("address", po::value<std::string>()->required(), "address to suppress")(
      "reason", po::value<std::string>()->default_value("manual"),
      "bounce|complaint|unsubscribe|manual")("detail", po::value<std::string>()->default_value(""),
                                             "free text");
  // With --global the only bare argument is the address.
  bool global = std::find(args.begin(), args.end(), "--global") != args.end();
  Options vm = parse_args(
      args, desc,
      global ? std::vector<std::string>{"address"} : std::vector<std::string>{"user", "address"});
  auto user = scope_of(vm);
  admin::NewSuppression e{vm["address"].as<std::string>(),
                          reason_arg(vm["reason"].as<std::string>()),
                          vm["detail"].as<std::string>()};
  Status s = ctx.change([&](LmdbEnv& env) -> Status {
    SENDPOOL_TRY(admin::add_suppressions(env, user, {e}, ctx.clock()));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  if (!ctx.json()) ctx.out() << fmt::format("{} suppressed for {}\n", e.address, scope_text(user));
  return kExitOk;
}

int suppression_remove(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  add_scope_options(desc);
  desc.add_options()("address", po::value<std::string>()->required(), "address");
  bool global = std::find(args.begin(), args.end(), "--global") != args.end();
  Options vm = parse_args(
      args, desc,
      global ? std::vector<std::string>{"address"} : std::vector<std::string>{"user", "address"});
  auto user = scope_of(vm);
  std::string address = vm["address"].as<std::string>();
  Status s =
      ctx.change([&](LmdbEnv& env) { return admin::remove_suppression(env, user, address); });
  if (!s) return ctx.fail(s.error());
  if (!ctx.json()) ctx.out() << fmt::format("{} removed from {}\n", address, scope_text(user));
  return kExitOk;
}

Result<std::vector<SuppressionEntry>> read_entries(Context& ctx,
                                                   const std::optional<std::string>& user) {
  std::vector<SuppressionEntry> entries;
  SENDPOOL_TRY(ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(SuppressionScope scope, admin::resolve_scope(txn, user));
    return tables::scan_suppression(txn, scope, [&](const SuppressionEntry& e) {
      entries.push_back(e);
      return true;
    });
  }));
  return entries;
}

Options scope_only_args(const std::vector<std::string>& args, po::options_description desc,
                        std::vector<std::string> positional) {
  add_scope_options(desc);
  bool global = std::find(args.begin(), args.end(), "--global") != args.end();
  if (!global) positional.insert(positional.begin(), "user");
  return parse_args(args, desc, positional);
}

int suppression_list(Context& ctx, const std::vector<std::string>& args) {
  Options vm = scope_only_args(args, po::options_description(), {});
  auto user = scope_of(vm);
  auto entries = read_entries(ctx, user);
  if (!entries) return ctx.fail(entries.error());
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& e : *entries)
      out.push_back(to_json(e));
    print_json(ctx.out(), out);
    return kExitOk;
  }
  Table t({"ADDRESS", "REASON", "SINCE", "DETAIL"});
  for (const auto& e : *entries)
    t.add({e.address, std::string(to_string(e.reason)), format_timestamp(e.time), e.detail});
  t.print(ctx.out());
  return kExitOk;
}

int suppression_export(Context& ctx, const std::vector<std::string>& args) {
  Options vm = scope_only_args(args, po::options_description(), {});
  auto user = scope_of(vm);
  auto entries = read_entries(ctx, user);
  if (!entries) return ctx.fail(entries.error());
  ctx.out() << "address,reason,detail,time\n";
  for (const auto& e : *entries)
    ctx.out() << format_csv_line({e.address, std::string(to_string(e.reason)), e.detail,
                                  format_timestamp(e.time)})
              << "\n";
  return kExitOk;
}

// Imports address[,reason[,detail[,time]]] lines (the export format); a header line and
// blank lines are skipped. Every bad line is reported and nothing is imported then.
int suppression_import(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("file", po::value<std::string>()->required(), "CSV file");
  Options vm = scope_only_args(args, desc, {"file"});
  auto user = scope_of(vm);
  std::string path = vm["file"].as<std::string>();
  std::ifstream in(path);
  if (!in) return ctx.fail(make_error(ErrorCode::kNotFound, fmt::format("cannot read {}", path)));
  std::vector<admin::NewSuppression> entries;
  std::vector<std::string> problems;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    auto fields = parse_csv_line(line);
    // The header's first field is exactly "address" (no '@': never a real address); a
    // prefix test would also skip a first line such as "address-book@example.com".
    if (n == 1 && fields && (*fields)[0] == "address") continue;
    std::string problem;
    if (!fields) {
      problem = fields.error().message;
    } else {
      admin::NewSuppression e{(*fields)[0], SuppressionReason::kManual, ""};
      if (fields->size() > 1 && !(*fields)[1].empty()) {
        auto r = parse_suppression_reason((*fields)[1]);
        if (!r)
          problem = fmt::format("unknown reason \"{}\"", (*fields)[1]);
        else
          e.reason = *r;
      }
      if (fields->size() > 2) e.detail = (*fields)[2];
      if (problem.empty()) {
        auto normalized = normalize_address(e.address);
        if (!normalized) problem = normalized.error().message;
      }
      if (problem.empty()) entries.push_back(std::move(e));
    }
    if (!problem.empty()) problems.push_back(fmt::format("{}:{}: {}", path, n, problem));
    if (entries.size() > kMaxImportEntries)
      return ctx.fail(make_error(ErrorCode::kRefused, fmt::format("{} holds more than {} entries",
                                                                  path, kMaxImportEntries)));
  }
  if (!problems.empty()) {
    for (size_t i = 0; i < problems.size() && i < 20; ++i)
      ctx.err() << problems[i] << "\n";
    return ctx.fail(
        make_error(ErrorCode::kInvalidArgument,
                   fmt::format("{} bad line(s) in {}; nothing imported", problems.size(), path)));
  }
  size_t added = 0;
  Status s = ctx.change([&](LmdbEnv& env) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(added, admin::add_suppressions(env, user, entries, ctx.clock()));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  if (ctx.json())
    print_json(ctx.out(), Json{{"read", entries.size()}, {"added", added}});
  else
    ctx.out() << fmt::format("imported {} address(es) into {} ({} new)\n", entries.size(),
                             scope_text(user), added);
  return kExitOk;
}

}  // namespace

std::vector<Command> suppression_commands() {
  return {
      {"suppression", "add", suppression_add,
       "suppression add (USER|--global) ADDR [--reason R] [--detail TEXT]"},
      {"suppression", "remove", suppression_remove, "suppression remove (USER|--global) ADDR"},
      {"suppression", "list", suppression_list, "suppression list (USER|--global)"},
      {"suppression", "import", suppression_import, "suppression import (USER|--global) FILE.csv"},
      {"suppression", "export", suppression_export, "suppression export (USER|--global)"},
  };
}

}  // namespace sendpool::ctl
