// Several processes on one store at once: a writer and a reader running concurrently, and a
// reader that dies inside its transaction. Each child opens its own environment after fork().
#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "core/base/civil_time.h"
#include "core/store/lmdb_env.h"
#include "core/store/store.h"
#include "core/store/tables.h"
#include "tests/core/store/store_test_util.h"

namespace sendpool {
namespace {

using testing::ChildProcess;
using testing::store_options;
using testing::TempDir;

constexpr uint64_t kTransactions = 2000;
constexpr AccountId kAccounts[] = {1, 2, 3};
constexpr auto kTimeLimit = std::chrono::seconds(10);
const Date kDay = date_from_day_number(19800);

// Exit codes of the children, so a failure says what went wrong.
enum ChildExit : int {
  kOk = 0,
  kOpenFailed = 10,
  kWriteFailed = 11,
  kReadFailed = 12,  // includes records that do not decode
  kTorn = 13,        // a transaction's records disagree
  kWentBackwards = 14,
  kTimedOut = 15,
  kNeverSawTheEnd = 16,
};

// The account record the writer rewrites in the same transaction as the counters: its
// prepaid count and the number of allowed ranges both follow the transaction number.
Account account_at(uint64_t i) {
  Account a;
  a.id = 1;
  a.username = "writer";
  a.customer = "acme";
  a.plan = "prepaid";
  a.prepaid_remaining = i;
  for (uint64_t k = 0; k < i % 5; ++k)
    a.allowed_ips.push_back(IpRange{"192.0.2.0/24"});
  a.status_reason = std::string(i % 300, 'r');  // the record's size changes too
  return a;
}

// Blocks until the parent closes the other end of `fd` (a start barrier).
void wait_for_go(int fd) {
  char c;
  while (::read(fd, &c, 1) > 0) {
  }
}

int run_writer(const std::string& path, int go) {
  LmdbOptions options = store_options(path, false);
  options.sync = false;  // keeps 2000 commits within the time limit on slow disks
  auto env = LmdbEnv::open(options);
  if (!env) return kOpenFailed;
  wait_for_go(go);
  auto deadline = std::chrono::steady_clock::now() + kTimeLimit;
  for (uint64_t i = 1; i <= kTransactions; ++i) {
    if (std::chrono::steady_clock::now() > deadline) return kTimedOut;
    Status s = (*env)->write([&](WriteTxn& txn) -> Status {
      DayCounters c;
      c.accepted = i;
      c.delivered = i;
      for (AccountId id : kAccounts)
        SENDPOOL_TRY(tables::put_counters(txn, id, kDay, c));
      return tables::put_account(txn, account_at(i));
    });
    if (!s) {
      std::fprintf(stderr, "writer: %s\n", s.error().message.c_str());
      return kWriteFailed;
    }
    // Lets the reader in between commits, so it sees many states, not just the first and last.
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
  return kOk;
}

int run_reader(const std::string& path, int go) {
  auto env = LmdbEnv::open(store_options(path, false));
  if (!env) return kOpenFailed;
  wait_for_go(go);
  auto deadline = std::chrono::steady_clock::now() + kTimeLimit;
  uint64_t last = 0, distinct = 0, reads = 0;
  int verdict = kOk;
  while (last < kTransactions) {
    if (std::chrono::steady_clock::now() > deadline || reads > 10'000'000) {
      verdict = kNeverSawTheEnd;
      break;
    }
    ++reads;
    uint64_t seen = 0;
    Status s = (*env)->read([&](const ReadTxn& txn) -> Status {
      std::optional<uint64_t> value;
      for (AccountId id : kAccounts) {
        SENDPOOL_ASSIGN_OR_RETURN(DayCounters c, tables::get_counters(txn, id, kDay));
        if (c.accepted != c.delivered || (value && *value != c.accepted)) {
          verdict = kTorn;
          return ok_status();
        }
        value = c.accepted;
      }
      SENDPOOL_ASSIGN_OR_RETURN(auto account, tables::get_account(txn, "writer"));
      uint64_t from_account = account ? account->prepaid_remaining : 0;
      if (from_account != *value || (account && (account->allowed_ips.size() != *value % 5 ||
                                                 account->status_reason.size() != *value % 300))) {
        verdict = kTorn;
        return ok_status();
      }
      seen = *value;
      return ok_status();
    });
    if (!s) {
      std::fprintf(stderr, "reader: %s\n", s.error().message.c_str());
      return kReadFailed;
    }
    if (verdict != kOk) break;
    if (seen < last) {
      verdict = kWentBackwards;
      break;
    }
    if (seen != last) ++distinct;
    last = seen;
  }
  std::fprintf(stderr, "reader: %llu reads, %llu distinct states, last %llu\n",
               static_cast<unsigned long long>(reads), static_cast<unsigned long long>(distinct),
               static_cast<unsigned long long>(last));
  return verdict;
}

TEST(MultiProcessTest, AReaderNeverSeesAHalfCommittedTransactionOfAnotherProcess) {
  TempDir dir;
  const std::string path = dir.sub("store");
  {
    auto env = open_store(store_options(path));
    ASSERT_TRUE(env.has_value()) << env.error().message;
  }
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  ChildProcess writer([&] {
    ::close(go[1]);
    return run_writer(path, go[0]);
  });
  ChildProcess reader([&] {
    ::close(go[1]);
    return run_reader(path, go[0]);
  });
  ::close(go[0]);
  ::close(go[1]);  // both start now

  int writer_exit = writer.wait(kTimeLimit + std::chrono::seconds(5));
  int reader_exit = reader.wait(kTimeLimit + std::chrono::seconds(5));
  EXPECT_EQ(writer_exit, kOk);
  EXPECT_EQ(reader_exit, kOk);

  // The final state is the last transaction's, whole.
  auto env = LmdbEnv::open(store_options(path, false));
  ASSERT_TRUE(env.has_value()) << env.error().message;
  Status s = (*env)->read([&](const ReadTxn& txn) -> Status {
    for (AccountId id : kAccounts) {
      SENDPOOL_ASSIGN_OR_RETURN(DayCounters c, tables::get_counters(txn, id, kDay));
      EXPECT_EQ(c.accepted, kTransactions);
      EXPECT_EQ(c.delivered, kTransactions);
    }
    SENDPOOL_ASSIGN_OR_RETURN(auto account, tables::get_account(txn, "writer"));
    EXPECT_TRUE(account.has_value());
    if (account) {
      EXPECT_EQ(account->prepaid_remaining, kTransactions);
    }
    return ok_status();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
}

// Waits up to `timeout` for one byte on `fd`.
bool wait_for_byte(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
  char c;
  return ::read(fd, &c, 1) == 1;
}

TEST(MultiProcessTest, AReaderSlotOfAKilledProcessIsClearedAsStale) {
  TempDir dir;
  const std::string path = dir.sub("store");
  {
    auto env = open_store(store_options(path));
    ASSERT_TRUE(env.has_value()) << env.error().message;
  }
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  ChildProcess holder([&] {
    ::close(ready[0]);
    auto env = LmdbEnv::open(store_options(path, false));
    if (!env) return static_cast<int>(kOpenFailed);
    (void)(*env)->read([&](const ReadTxn&) -> Status {
      if (::write(ready[1], "r", 1) != 1) return make_error(ErrorCode::kIo, "pipe");
      for (;;)
        ::pause();  // holds the read transaction until killed
    });
    return static_cast<int>(kReadFailed);
  });
  ::close(ready[1]);
  ASSERT_TRUE(wait_for_byte(ready[0], std::chrono::seconds(10)))
      << "the child never started its read transaction";
  ::close(ready[0]);

  // Opened while the holder lives: its slot is live, so opening clears nothing of it.
  auto env = LmdbEnv::open(store_options(path, false));
  ASSERT_TRUE(env.has_value()) << env.error().message;
  auto live = (*env)->clear_stale_readers();
  ASSERT_TRUE(live.has_value()) << live.error().message;
  EXPECT_EQ(*live, 0);

  holder.kill_and_reap(SIGKILL);
  auto cleared = (*env)->clear_stale_readers();
  ASSERT_TRUE(cleared.has_value()) << cleared.error().message;
  EXPECT_GE(*cleared, 1);
  auto again = (*env)->clear_stale_readers();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, 0);

  // The store works on.
  Status w = (*env)->write([](WriteTxn& txn) { return txn.put(Db::kCustomers, "k", "v"); });
  ASSERT_TRUE(w.has_value()) << w.error().message;
}

}  // namespace
}  // namespace sendpool
