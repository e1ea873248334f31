// Fakes for the milter's Session tests: an in-memory Catalog and a recording SignerFactory.
//
// FakeCatalog answers from tables the test fills in (accounts, client addresses, domain links,
// suppressions, signing keys) and can be told to fail like an unreadable store, per call kind.
// FakeSignerFactory hands out jobs that record every call they get and return the
// deterministic signature "sig(d=<domain>;s=<selector>)"; it can be told to fail at any step,
// for every job or for one of them.
// Thread-safety: single-threaded test code.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/proto/address.h"
#include "milter/catalog.h"
#include "milter/signer.h"

namespace sendpool::milter::testing {

inline Error store_down() {
  return make_error(ErrorCode::kUnavailable, "fake store is down");
}

class FakeCatalog final : public Catalog {
 public:
  std::map<std::string, Account, std::less<>> accounts;              // by username
  std::map<std::string, std::string, std::less<>> clients;           // client address -> username
  std::set<std::pair<std::string, std::string>> links;               // (domain, username)
  std::set<std::pair<AccountId, std::string>> suppressions;          // (0 = platform, normalised)
  std::map<std::string, std::vector<SigningKey>, std::less<>> keys;  // by domain

  // Each flag makes that kind of call fail as an unreadable store would.
  bool fail_accounts = false;
  bool fail_links = false;
  bool fail_suppressions = false;
  bool fail_keys = false;

  // What was asked, in order: "domain username" for links, the domain for keys.
  std::vector<std::string> link_queries;
  std::vector<std::string> key_queries;

  void add_account(Account a) { accounts[a.username] = std::move(a); }
  void link(std::string domain, std::string username) {
    links.emplace(std::move(domain), std::move(username));
  }
  void suppress(AccountId scope, std::string address) {
    suppressions.emplace(scope, *normalize_address(address));
  }

  Result<std::optional<Account>> account_by_username(std::string_view username) override {
    if (fail_accounts) return store_down();
    auto it = accounts.find(username);
    if (it == accounts.end()) return std::optional<Account>();
    return std::optional<Account>(it->second);
  }

  Result<std::optional<Account>> account_by_client(std::string_view client_address) override {
    if (fail_accounts) return store_down();
    auto it = clients.find(client_address);
    if (it == clients.end()) return std::optional<Account>();
    return account_by_username(it->second);
  }

  Result<bool> domain_linked(std::string_view domain, std::string_view username) override {
    link_queries.push_back(std::string(domain) + " " + std::string(username));
    if (fail_links) return store_down();
    return links.count({std::string(domain), std::string(username)}) > 0;
  }

  Result<bool> suppressed(const Account& account, std::string_view address) override {
    if (fail_suppressions) return store_down();
    auto normalized = normalize_address(address);
    if (!normalized) return false;
    return suppressions.count({account.id, *normalized}) > 0 ||
           suppressions.count({AccountId{0}, *normalized}) > 0;
  }

  Result<std::vector<SigningKey>> signing_keys(std::string_view domain) override {
    key_queries.emplace_back(domain);
    if (fail_keys) return store_down();
    auto it = keys.find(domain);
    return it == keys.end() ? std::vector<SigningKey>{} : it->second;
  }
};

enum class FailAt { kNever, kStart, kHeader, kEndOfHeaders, kBody, kFinish };

// Everything one signature job was given: "header <name>: <value>", "eoh", "body <chunk>",
// "finish".
struct JobRecord {
  SigningKey key;
  std::string job_id;
  std::vector<std::string> calls;
};

inline std::string fake_signature(const SigningKey& key) {
  return "sig(d=" + key.domain + ";s=" + key.selector + ")";
}

class FakeSignJob final : public SignJob {
 public:
  FakeSignJob(std::shared_ptr<JobRecord> record, FailAt fail_at)
      : record_(std::move(record)), fail_at_(fail_at) {}

  Status header(std::string_view name, std::string_view value) override {
    record_->calls.push_back("header " + std::string(name) + ": " + std::string(value));
    return step(FailAt::kHeader);
  }
  Status end_of_headers() override {
    record_->calls.push_back("eoh");
    return step(FailAt::kEndOfHeaders);
  }
  Status body(std::string_view chunk) override {
    record_->calls.push_back("body " + std::string(chunk));
    return step(FailAt::kBody);
  }
  Result<std::string> finish() override {
    record_->calls.push_back("finish");
    if (fail_at_ == FailAt::kFinish) return make_error(ErrorCode::kInternal, "fake: finish");
    return fake_signature(record_->key);
  }

 private:
  Status step(FailAt here) {
    if (fail_at_ == here) return make_error(ErrorCode::kInternal, "fake: signing step failed");
    return ok_status();
  }
  std::shared_ptr<JobRecord> record_;
  FailAt fail_at_;
};

class FakeSignerFactory final : public SignerFactory {
 public:
  FailAt fail_at = FailAt::kNever;
  // When set, only the job started as number `fail_job` (0-based) fails.
  std::optional<size_t> fail_job;
  std::vector<std::shared_ptr<JobRecord>> jobs;

  Result<std::unique_ptr<SignJob>> start(const SigningKey& key, std::string_view job_id) override {
    size_t index = started_++;
    FailAt fail = (!fail_job || *fail_job == index) ? fail_at : FailAt::kNever;
    if (fail == FailAt::kStart) return make_error(ErrorCode::kInternal, "fake: start failed");
    auto record = std::make_shared<JobRecord>(JobRecord{key, std::string(job_id), {}});
    jobs.push_back(record);
    return std::unique_ptr<SignJob>(std::make_unique<FakeSignJob>(record, fail));
  }

 private:
  size_t started_ = 0;
};

}  // namespace sendpool::milter::testing
