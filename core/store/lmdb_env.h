// LmdbEnv: the one LMDB environment of a process, its named databases and transactions.
//
// This is the only code that includes <lmdb.h>. It opens the environment once (never twice
// per process, never across fork), opens every named database once at start-up, clears stale
// reader slots (mdb_reader_check), and runs callers' functions inside transactions:
//  - read(): a short read-only transaction (MDB_NOTLS, so any thread may run one);
//  - write(): one write transaction; LMDB serialises writers across threads and processes.
// MDB_MAP_RESIZED (another process grew the map) is handled by adopting the new size and
// retrying; MDB_MAP_FULL aborts the transaction and returns kUnavailable naming the size, so
// a daemon answers "try again later" instead of losing or corrupting anything.
// Thread-safety: LmdbEnv is shared by all threads; a transaction object belongs to the
// function it is passed to and must not escape it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace sendpool {

// The named databases. Their keys and values are described in tables.h.
enum class Db : unsigned {
  kMeta,
  kCustomers,
  kPlans,
  kAccounts,
  kAccountIds,
  kDomains,
  kLinks,
  kAccountLinks,
  kPools,
  kSuppression,
  kCounters,
  kReputation,
  kCharges,
  kState,
  kPoolMoves,
  kEvents,
  kCount,
};

const char* db_name(Db db);

struct LmdbOptions {
  std::string path;                 // a directory holding data.mdb and lock.mdb
  uint64_t map_size = 16ull << 30;  // reserved address space; the file grows only as used
  bool create = false;              // create the directory and databases when missing
  bool sync = true;                 // false: commits skip fsync; the owner calls sync()
  unsigned max_readers = 1024;
};

class ReadTxn {
 public:
  // The value under `key`, copied out of the map; nullopt when absent.
  Result<std::optional<std::string>> get(Db db, std::string_view key) const;

  // Calls `visit(key, value)` for each key starting with `prefix`, in key order, from
  // `start` (which must itself start with `prefix`; empty = from the prefix) until `visit`
  // returns false. The views are valid only during the call.
  Status scan(Db db, std::string_view prefix,
              const std::function<bool(std::string_view key, std::string_view value)>& visit,
              std::string_view start = {}) const;

  // Number of entries in a database.
  Result<uint64_t> count(Db db) const;

 protected:
  friend class LmdbEnv;
  ReadTxn(void* txn, const unsigned* dbis) : txn_(txn), dbis_(dbis) {}
  void* txn_;
  const unsigned* dbis_;
};

class WriteTxn : public ReadTxn {
 public:
  Status put(Db db, std::string_view key, std::string_view value);
  // Deletes `key`; returns whether it existed.
  Result<bool> del(Db db, std::string_view key);

 private:
  friend class LmdbEnv;
  using ReadTxn::ReadTxn;
};

class LmdbEnv {
 public:
  static Result<std::unique_ptr<LmdbEnv>> open(const LmdbOptions& options);
  ~LmdbEnv();
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  // Runs `fn` in a read-only transaction; returns fn's status or the store's error.
  Status read(const std::function<Status(const ReadTxn&)>& fn) const;

  // Runs `fn` in a write transaction and commits when it succeeds; aborts (changing nothing)
  // when fn fails or the commit does. `fn` may run more than once (after MAP_RESIZED), so
  // it must not have side effects outside the transaction.
  Status write(const std::function<Status(WriteTxn&)>& fn);

  // Flushes committed data to disk (for environments opened with sync = false).
  Status sync();

  // Clears reader slots left by dead processes; returns how many were cleared.
  Result<int> clear_stale_readers();

  const std::string& path() const { return path_; }
  uint64_t map_size() const;

 private:
  LmdbEnv() = default;
  Status begin(bool read_only, void** txn) const;
  Status adopt_new_map_size() const;

  void* env_ = nullptr;
  unsigned dbis_[static_cast<unsigned>(Db::kCount)] = {};
  std::string path_;
  // Transactions hold it shared; changing the map size needs it exclusive (LMDB requires
  // that no transaction of this process is active then).
  mutable std::shared_mutex resize_mutex_;
};

}  // namespace sendpool
