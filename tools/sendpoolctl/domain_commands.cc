// sendpoolctl domain add | dns | show | list | remove | rotate | drop-key | link | unlink
#include <fmt/format.h>

#include "core/base/civil_time.h"
#include "core/crypto/dkim_keygen.h"
#include "core/crypto/dkim_record.h"
#include "core/proto/domain_name.h"
#include "core/store/admin.h"
#include "core/store/tables.h"
#include "tools/sendpoolctl/cli.h"
#include "tools/sendpoolctl/output.h"

namespace sendpool::ctl {
namespace {

// New keys for `--key-type rsa|ed25519|both`. With both, the Ed25519 selector gets an "e"
// suffix so the two keys publish under different names.
Result<std::vector<DkimKey>> generate_keys(const std::string& key_type, std::string selector,
                                           const Clock& clock) {
  if (selector.empty())
    selector = "sp" + format_date(day_of(clock.now())).replace(4, 1, "").replace(6, 1, "");
  if (!is_valid_selector(selector))
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("\"{}\" is not a valid DKIM selector", selector));
  std::vector<std::pair<KeyType, std::string>> wanted;
  if (key_type == "rsa" || key_type == "both") wanted.emplace_back(KeyType::kRsa, selector);
  if (key_type == "ed25519")
    wanted.emplace_back(KeyType::kEd25519, selector);
  else if (key_type == "both")
    wanted.emplace_back(KeyType::kEd25519, selector + "e");
  if (wanted.empty()) throw UsageError{"--key-type must be rsa, ed25519 or both"};
  std::vector<DkimKey> keys;
  for (const auto& [type, sel] : wanted) {
    SENDPOOL_ASSIGN_OR_RETURN(GeneratedKey g, generate_dkim_key(type));
    keys.push_back(DkimKey{sel, type, g.private_key_pem, g.public_key_b64, clock.now(), true});
  }
  return keys;
}

Json key_json(const Domain& d, const DkimKey& k) {
  return Json{{"selector", k.selector},
              {"type", to_string(k.type)},
              {"active", k.active},
              {"created", format_timestamp(k.created)},
              {"record_name", dkim_record_name(k.selector, d.name)},
              {"txt", dkim_txt_value(k.type, k.public_key_b64)}};
}

Json domain_json(const Domain& d, const std::vector<std::string>& accounts) {
  Json keys = Json::array();
  for (const auto& k : d.keys)
    keys.push_back(key_json(d, k));
  return Json{{"name", d.name},
              {"created", format_timestamp(d.created)},
              {"keys", keys},
              {"accounts", accounts}};
}

void print_dns(std::ostream& os, const Domain& d) {
  for (const auto& k : d.keys) {
    if (!k.active) os << "; retired: remove once mail signed with it has been delivered\n";
    os << dkim_dns_record(k.selector, d.name, k.type, k.public_key_b64) << "\n";
  }
}

Result<std::pair<Domain, std::vector<std::string>>> read_domain(Context& ctx,
                                                                const std::string& text) {
  // Stored names are normalised; look up the same form the changing commands use, so
  // `domain show Example.COM` finds what `domain add Example.COM` stored.
  SENDPOOL_ASSIGN_OR_RETURN(std::string name, normalize_domain(text));
  std::optional<Domain> domain;
  std::vector<std::string> accounts;
  SENDPOOL_TRY(ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(domain, tables::get_domain(txn, name));
    if (!domain) return make_error(ErrorCode::kNotFound, fmt::format("no domain named {}", name));
    SENDPOOL_ASSIGN_OR_RETURN(accounts, tables::accounts_of(txn, domain->name));
    return ok_status();
  }));
  return std::make_pair(*domain, accounts);
}

// Prints a domain's DNS records after a change (or its JSON).
int report_domain(Context& ctx, const Domain& d, const std::string& what) {
  if (ctx.json()) {
    print_json(ctx.out(), domain_json(d, {}));
    return kExitOk;
  }
  ctx.out() << fmt::format("domain {} {}; publish in DNS:\n", d.name, what);
  print_dns(ctx.out(), d);
  return kExitOk;
}

po::options_description name_option() {
  po::options_description desc;
  desc.add_options()("domain", po::value<std::string>()->required(), "domain name");
  return desc;
}

int domain_add(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc = name_option();
  desc.add_options()("selector", po::value<std::string>()->default_value(""), "DKIM selector")(
      "key-type", po::value<std::string>()->default_value("rsa"), "rsa|ed25519|both");
  Options vm = parse_args(args, desc, {"domain"});
  auto keys = generate_keys(vm["key-type"].as<std::string>(), vm["selector"].as<std::string>(),
                            ctx.clock());
  if (!keys) return ctx.fail(keys.error());
  Domain added;
  Status s = ctx.change(
      [&](LmdbEnv& env) -> Status {
        SENDPOOL_ASSIGN_OR_RETURN(
            added, admin::add_domain(env, vm["domain"].as<std::string>(), *keys, ctx.clock()));
        return ok_status();
      },
      true);
  if (!s) return ctx.fail(s.error());
  return report_domain(ctx, added, "added");
}

int domain_rotate(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc = name_option();
  desc.add_options()("selector", po::value<std::string>()->default_value(""), "new selector")(
      "key-type", po::value<std::string>()->default_value("rsa"), "rsa|ed25519|both");
  Options vm = parse_args(args, desc, {"domain"});
  auto keys = generate_keys(vm["key-type"].as<std::string>(), vm["selector"].as<std::string>(),
                            ctx.clock());
  if (!keys) return ctx.fail(keys.error());
  Domain rotated;
  Status s = ctx.change([&](LmdbEnv& env) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(rotated,
                              admin::rotate_domain(env, vm["domain"].as<std::string>(), *keys));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  return report_domain(ctx, rotated, "rotated (new keys sign now; old ones stay published)");
}

int domain_drop_key(Context& ctx, const std::vector<std::string>& args) {
  po::options_description desc = name_option();
  desc.add_options()("selector", po::value<std::string>()->required(), "selector to remove");
  Options vm = parse_args(args, desc, {"domain", "selector"});
  Domain changed;
  Status s = ctx.change([&](LmdbEnv& env) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(changed, admin::drop_key(env, vm["domain"].as<std::string>(),
                                                       vm["selector"].as<std::string>()));
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  return report_domain(ctx, changed, "no longer publishes " + vm["selector"].as<std::string>());
}

int domain_dns(Context& ctx, const std::vector<std::string>& args) {
  Options vm = parse_args(args, name_option(), {"domain"});
  auto d = read_domain(ctx, vm["domain"].as<std::string>());
  if (!d) return ctx.fail(d.error());
  if (ctx.json()) {
    Json records = Json::array();
    for (const auto& k : d->first.keys)
      records.push_back(key_json(d->first, k));
    print_json(ctx.out(), records);
  } else {
    print_dns(ctx.out(), d->first);
  }
  return kExitOk;
}

int domain_show(Context& ctx, const std::vector<std::string>& args) {
  Options vm = parse_args(args, name_option(), {"domain"});
  auto d = read_domain(ctx, vm["domain"].as<std::string>());
  if (!d) return ctx.fail(d.error());
  const auto& [domain, accounts] = *d;
  if (ctx.json()) {
    print_json(ctx.out(), domain_json(domain, accounts));
    return kExitOk;
  }
  std::string linked;
  for (const auto& a : accounts)
    linked += (linked.empty() ? "" : ", ") + a;
  print_fields(ctx.out(), {{"domain", domain.name},
                           {"created", format_timestamp(domain.created)},
                           {"accounts", linked.empty() ? "-" : linked}});
  ctx.out() << "\n";
  Table t({"SELECTOR", "TYPE", "STATE", "CREATED", "RECORD"});
  for (const auto& k : domain.keys)
    t.add({k.selector, std::string(to_string(k.type)), k.active ? "signing" : "retired",
           format_timestamp(k.created), dkim_record_name(k.selector, domain.name)});
  t.print(ctx.out());
  return kExitOk;
}

int domain_list(Context& ctx, const std::vector<std::string>& args) {
  parse_args(args, po::options_description(), {});
  std::vector<std::pair<Domain, std::vector<std::string>>> rows;
  Status s = ctx.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto domains, tables::list_domains(txn));
    for (auto& d : domains) {
      SENDPOOL_ASSIGN_OR_RETURN(auto accounts, tables::accounts_of(txn, d.name));
      rows.emplace_back(std::move(d), std::move(accounts));
    }
    return ok_status();
  });
  if (!s) return ctx.fail(s.error());
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& [d, accounts] : rows)
      out.push_back(domain_json(d, accounts));
    print_json(ctx.out(), out);
    return kExitOk;
  }
  Table t({"DOMAIN", "SIGNING KEYS", "ACCOUNTS"});
  for (const auto& [d, accounts] : rows) {
    std::string keys;
    for (const auto& k : d.keys)
      if (k.active)
        keys +=
            (keys.empty() ? "" : ", ") + k.selector + " (" + std::string(to_string(k.type)) + ")";
    t.add({d.name, keys, std::to_string(accounts.size())});
  }
  t.print(ctx.out());
  return kExitOk;
}

int domain_remove(Context& ctx, const std::vector<std::string>& args) {
  Options vm = parse_args(args, name_option(), {"domain"});
  std::string name = vm["domain"].as<std::string>();
  Status s = ctx.change([&](LmdbEnv& env) { return admin::remove_domain(env, name); });
  if (!s) return ctx.fail(s.error());
  if (!ctx.json()) ctx.out() << fmt::format("domain {} removed\n", name);
  return kExitOk;
}

// link and unlink share their arguments.
int domain_link_change(Context& ctx, const std::vector<std::string>& args, bool link) {
  po::options_description desc = name_option();
  desc.add_options()("user", po::value<std::string>()->required(), "account username");
  Options vm = parse_args(args, desc, {"domain", "user"});
  std::string domain = vm["domain"].as<std::string>(), user = vm["user"].as<std::string>();
  Status s = ctx.change([&](LmdbEnv& env) {
    return link ? admin::link_domain(env, domain, user) : admin::unlink_domain(env, domain, user);
  });
  if (!s) return ctx.fail(s.error());
  if (!ctx.json())
    ctx.out() << fmt::format("domain {} {} account {}\n", domain,
                             link ? "linked to" : "unlinked from", user);
  return kExitOk;
}

int domain_link(Context& ctx, const std::vector<std::string>& args) {
  return domain_link_change(ctx, args, true);
}
int domain_unlink(Context& ctx, const std::vector<std::string>& args) {
  return domain_link_change(ctx, args, false);
}

}  // namespace

std::vector<Command> domain_commands() {
  return {
      {"domain", "add", domain_add,
       "domain add DOMAIN [--selector SEL] [--key-type rsa|ed25519|both]"},
      {"domain", "dns", domain_dns, "domain dns DOMAIN"},
      {"domain", "show", domain_show, "domain show DOMAIN"},
      {"domain", "list", domain_list, "domain list"},
      {"domain", "remove", domain_remove, "domain remove DOMAIN"},
      {"domain", "rotate", domain_rotate,
       "domain rotate DOMAIN [--selector SEL] [--key-type rsa|ed25519|both]"},
      {"domain", "drop-key", domain_drop_key, "domain drop-key DOMAIN SELECTOR"},
      {"domain", "link", domain_link, "domain link DOMAIN USER"},
      {"domain", "unlink", domain_unlink, "domain unlink DOMAIN USER"},
  };
}

}  // namespace sendpool::ctl
