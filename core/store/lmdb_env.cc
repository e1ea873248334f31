#include "core/store/lmdb_env.h"

#include <fmt/format.h>
#include <lmdb.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace sendpool {
namespace {

constexpr int kMaxResizeRetries = 8;

MDB_env* as_env(void* p) {
  return static_cast<MDB_env*>(p);
}
MDB_txn* as_txn(void* p) {
  return static_cast<MDB_txn*>(p);
}
MDB_val as_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
std::string_view as_view(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

// Maps an LMDB return code to our error vocabulary with a message an operator can act on.
Error lmdb_error(int rc, std::string_view what) {
  switch (rc) {
    case MDB_MAP_FULL:
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("{}: the store is full (raise store_map_size)", what));
    case MDB_READERS_FULL:
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("{}: too many readers on the store", what));
    case EAGAIN:
    case EBUSY:
      return make_error(ErrorCode::kUnavailable, fmt::format("{}: {}", what, mdb_strerror(rc)));
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
      return make_error(ErrorCode::kCorrupt, fmt::format("{}: {}", what, mdb_strerror(rc)));
    default:
      if (rc > 0) return make_error(ErrorCode::kIo, fmt::format("{}: {}", what, mdb_strerror(rc)));
      return make_error(ErrorCode::kInternal, fmt::format("{}: {}", what, mdb_strerror(rc)));
  }
}

}  // namespace

const char* db_name(Db db) {
  switch (db) {
    case Db::kMeta:
      return "meta";
    case Db::kCustomers:
      return "customers";
    case Db::kPlans:
      return "plans";
    case Db::kAccounts:
      return "accounts";
    case Db::kAccountIds:
      return "account_ids";
    case Db::kDomains:
      return "domains";
    case Db::kLinks:
      return "links";
    case Db::kAccountLinks:
      return "account_links";
    case Db::kPools:
      return "pools";
    case Db::kSuppression:
      return "suppression";
    case Db::kCounters:
      return "counters";
    case Db::kReputation:
      return "reputation";
    case Db::kCharges:
      return "charges";
    case Db::kState:
      return "state";
    case Db::kPoolMoves:
      return "pool_moves";
    case Db::kEvents:
      return "events";
    case Db::kCount:
      break;
  }
  return "?";
}

Result<std::optional<std::string>> ReadTxn::get(Db db, std::string_view key) const {
  MDB_val k = as_val(key), v;
  int rc = mdb_get(as_txn(txn_), dbis_[static_cast<unsigned>(db)], &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>();
  if (rc != 0) return lmdb_error(rc, fmt::format("reading {}", db_name(db)));
  return std::optional<std::string>(std::string(as_view(v)));
}

Status ReadTxn::scan(Db db, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& visit,
                     std::string_view start) const {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(as_txn(txn_), dbis_[static_cast<unsigned>(db)], &cursor);
  if (rc != 0) return lmdb_error(rc, fmt::format("scanning {}", db_name(db)));
  std::string_view from = start.empty() ? prefix : start;
  MDB_val k = as_val(from), v;
  rc = from.empty() ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
                    : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  while (rc == 0) {
    std::string_view key = as_view(k);
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!visit(key, as_view(v))) break;
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cursor);
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc, fmt::format("scanning {}", db_name(db)));
  return ok_status();
}

Result<uint64_t> ReadTxn::count(Db db) const {
  MDB_stat st;
  int rc = mdb_stat(as_txn(txn_), dbis_[static_cast<unsigned>(db)], &st);
  if (rc != 0) return lmdb_error(rc, fmt::format("counting {}", db_name(db)));
  return static_cast<uint64_t>(st.ms_entries);
}

Status WriteTxn::put(Db db, std::string_view key, std::string_view value) {
  MDB_val k = as_val(key), v = as_val(value);
  int rc = mdb_put(as_txn(txn_), dbis_[static_cast<unsigned>(db)], &k, &v, 0);
  if (rc != 0) return lmdb_error(rc, fmt::format("writing {}", db_name(db)));
  return ok_status();
}

Result<bool> WriteTxn::del(Db db, std::string_view key) {
  MDB_val k = as_val(key);
  int rc = mdb_del(as_txn(txn_), dbis_[static_cast<unsigned>(db)], &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return lmdb_error(rc, fmt::format("deleting from {}", db_name(db)));
  return true;
}

Result<std::unique_ptr<LmdbEnv>> LmdbEnv::open(const LmdbOptions& options) {
  struct stat st;
  if (::stat(options.path.c_str(), &st) != 0) {
    if (errno != ENOENT || !options.create)
      return make_error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                        fmt::format("no store at {}: {}", options.path, std::strerror(errno)));
    if (::mkdir(options.path.c_str(), 0750) != 0)
      return make_error(ErrorCode::kIo, fmt::format("cannot create store directory {}: {}",
                                                    options.path, std::strerror(errno)));
  } else if (!S_ISDIR(st.st_mode)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("store path {} is not a directory", options.path));
  } else if (!options.create) {
    std::string data = options.path + "/data.mdb";
    if (::stat(data.c_str(), &st) != 0)
      return make_error(ErrorCode::kNotFound, fmt::format("no store at {}", options.path));
  }

  std::unique_ptr<LmdbEnv> self(new LmdbEnv());
  self->path_ = options.path;
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0) return lmdb_error(rc, "creating the store environment");
  self->env_ = env;
  mdb_env_set_maxdbs(env, static_cast<unsigned>(Db::kCount) + 4);
  mdb_env_set_maxreaders(env, options.max_readers);
  mdb_env_set_mapsize(env, options.map_size);
  unsigned flags = MDB_NOTLS | (options.sync ? 0 : MDB_NOSYNC);
  rc = mdb_env_open(env, options.path.c_str(), flags, 0640);
  if (rc != 0) return lmdb_error(rc, fmt::format("opening the store at {}", options.path));
  int dead = 0;
  mdb_reader_check(env, &dead);

  // Open every named database once, in one transaction, before anything else uses them.
  // Creating them needs a write transaction; that also lets an older store gain new tables.
  MDB_txn* txn = nullptr;
  for (int attempt = 0;; ++attempt) {
    rc = mdb_txn_begin(env, nullptr, 0, &txn);
    if (rc == MDB_MAP_RESIZED && attempt < kMaxResizeRetries) {
      mdb_env_set_mapsize(env, 0);
      continue;
    }
    break;
  }
  if (rc != 0) return lmdb_error(rc, "opening the store's tables");
  for (unsigned i = 0; i < static_cast<unsigned>(Db::kCount); ++i) {
    rc = mdb_dbi_open(txn, db_name(static_cast<Db>(i)), MDB_CREATE, &self->dbis_[i]);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return lmdb_error(rc, fmt::format("opening table {}", db_name(static_cast<Db>(i))));
    }
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) return lmdb_error(rc, "opening the store's tables");
  return self;
}

LmdbEnv::~LmdbEnv() {
  if (env_) mdb_env_close(as_env(env_));
}

Status LmdbEnv::begin(bool read_only, void** txn) const {
  for (int attempt = 0;; ++attempt) {
    MDB_txn* t = nullptr;
    int rc = mdb_txn_begin(as_env(env_), nullptr, read_only ? MDB_RDONLY : 0, &t);
    if (rc == 0) {
      *txn = t;
      return ok_status();
    }
    if (rc != MDB_MAP_RESIZED || attempt >= kMaxResizeRetries)
      return lmdb_error(rc, "starting a store transaction");
    // Another process grew the map: adopt its size with no transaction of ours active.
    SENDPOOL_TRY(adopt_new_map_size());
  }
}

Status LmdbEnv::adopt_new_map_size() const {
  // The caller holds resize_mutex_ shared; LMDB needs this process quiescent, so swap to an
  // exclusive hold. Other threads finish their transactions and wait meanwhile.
  resize_mutex_.unlock_shared();
  {
    std::unique_lock exclusive(resize_mutex_);
    mdb_env_set_mapsize(as_env(env_), 0);
  }
  resize_mutex_.lock_shared();
  return ok_status();
}

Status LmdbEnv::read(const std::function<Status(const ReadTxn&)>& fn) const {
  std::shared_lock lock(resize_mutex_);
  void* txn = nullptr;
  SENDPOOL_TRY(begin(true, &txn));
  ReadTxn r(txn, dbis_);
  Status s = fn(r);
  mdb_txn_abort(as_txn(txn));
  return s;
}

Status LmdbEnv::write(const std::function<Status(WriteTxn&)>& fn) {
  std::shared_lock lock(resize_mutex_);
  void* txn = nullptr;
  SENDPOOL_TRY(begin(false, &txn));
  WriteTxn w(txn, dbis_);
  Status s = fn(w);
  if (!s) {
    mdb_txn_abort(as_txn(txn));
    return s;
  }
  // A failed commit frees the transaction itself: never abort after it.
  int rc = mdb_txn_commit(as_txn(txn));
  if (rc != 0) return lmdb_error(rc, "committing to the store");
  return ok_status();
}

Status LmdbEnv::sync() {
  int rc = mdb_env_sync(as_env(env_), 1);
  if (rc != 0) return lmdb_error(rc, "flushing the store");
  return ok_status();
}

Result<int> LmdbEnv::clear_stale_readers() {
  int dead = 0;
  int rc = mdb_reader_check(as_env(env_), &dead);
  if (rc != 0) return lmdb_error(rc, "checking the store's readers");
  return dead;
}

uint64_t LmdbEnv::map_size() const {
  MDB_envinfo info;
  mdb_env_info(as_env(env_), &info);
  return info.me_mapsize;
}

}  // namespace sendpool
