#include "core/store/store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/store/codec.h"
#include "core/store/lmdb_env.h"
#include "core/store/tables.h"
#include "tests/core/store/store_test_util.h"

namespace sendpool {
namespace {

using testing::ChildProcess;
using testing::store_options;
using testing::TempDir;

std::string key_of(int n) {
  return fmt::format("key-{:08}", n);
}

TEST(StoreTest, OpeningANewStoreCreatesItAndStampsTheSchemaVersion) {
  TempDir dir;
  auto env = open_store(store_options(dir.sub("store"), /*create=*/true));
  ASSERT_TRUE(env.has_value()) << env.error().message;
  std::optional<uint32_t> version;
  Status s = (*env)->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(version, tables::schema_version(txn));
    return ok_status();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(version, tables::kSchemaVersion);
  EXPECT_EQ((*env)->path(), dir.sub("store"));
}

TEST(StoreTest, ReopeningAnExistingStoreKeepsItsData) {
  TempDir dir;
  {
    auto env = open_store(store_options(dir.sub("store")));
    ASSERT_TRUE(env.has_value()) << env.error().message;
    Status s = (*env)->write([](WriteTxn& txn) { return txn.put(Db::kCustomers, "k", "v"); });
    ASSERT_TRUE(s.has_value()) << s.error().message;
  }
  auto env = open_store(store_options(dir.sub("store"), /*create=*/false));
  ASSERT_TRUE(env.has_value()) << env.error().message;
  std::optional<std::string> got;
  Status s = (*env)->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(got, txn.get(Db::kCustomers, "k"));
    return ok_status();
  });
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(got, "v");
}

TEST(StoreTest, OpeningAMissingStoreWithoutCreateIsNotFound) {
  TempDir dir;
  ASSERT_EQ(::mkdir(dir.sub("empty").c_str(), 0700), 0);
  struct Case {
    const char* name;
    std::string path;
  };
  const std::vector<Case> cases = {
      {"no directory", dir.sub("missing")},
      {"directory without data.mdb", dir.sub("empty")},
  };
  for (const auto& c : cases) {
    auto env = open_store(store_options(c.path, /*create=*/false));
    ASSERT_FALSE(env.has_value()) << c.name;
    EXPECT_EQ(env.error().code, ErrorCode::kNotFound) << c.name;
    EXPECT_NE(env.error().message.find("no store at " + c.path), std::string::npos)
        << c.name << ": " << env.error().message;
  }
  // Nothing was created by the failed attempts.
  EXPECT_FALSE(std::filesystem::exists(dir.sub("missing")));
  EXPECT_FALSE(std::filesystem::exists(dir.sub("empty/data.mdb")));
}

TEST(StoreTest, AStorePathThatIsAFileIsRefused) {
  TempDir dir;
  std::string file = dir.sub("file");
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto env = open_store(store_options(file, /*create=*/true));
  ASSERT_FALSE(env.has_value());
  EXPECT_EQ(env.error().code, ErrorCode::kInvalidArgument);
}

TEST(StoreTest, AStoreWithANewerSchemaIsRefusedNamingBothVersions) {
  TempDir dir;
  const uint32_t newer = tables::kSchemaVersion + 1;
  {
    auto env = open_store(store_options(dir.sub("store")));
    ASSERT_TRUE(env.has_value()) << env.error().message;
    Status s = (*env)->write([&](WriteTxn& txn) { return tables::set_schema_version(txn, newer); });
    ASSERT_TRUE(s.has_value()) << s.error().message;
  }
  for (bool create : {false, true}) {
    auto env = open_store(store_options(dir.sub("store"), create));
    ASSERT_FALSE(env.has_value()) << "create=" << create;
    EXPECT_EQ(env.error().code, ErrorCode::kSchemaTooNew);
    const std::string& m = env.error().message;
    EXPECT_NE(m.find(fmt::format("schema version {}", newer)), std::string::npos) << m;
    EXPECT_NE(m.find(fmt::format("({})", tables::kSchemaVersion)), std::string::npos) << m;
  }
  // The refusal did not rewrite the version.
  auto raw = LmdbEnv::open(store_options(dir.sub("store"), false));
  ASSERT_TRUE(raw.has_value());
  std::optional<uint32_t> version;
  ASSERT_TRUE((*raw)->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(version, tables::schema_version(txn));
    return ok_status();
  }));
  EXPECT_EQ(version, newer);
}

TEST(StoreTest, AnOlderOrEqualSchemaIsAcceptedAndNotRewritten) {
  TempDir dir;
  {
    auto env = open_store(store_options(dir.sub("store")));
    ASSERT_TRUE(env.has_value());
    ASSERT_TRUE((*env)->write([](WriteTxn& txn) { return tables::set_schema_version(txn, 0); }));
  }
  auto env = open_store(store_options(dir.sub("store"), false));
  ASSERT_TRUE(env.has_value()) << env.error().message;
  std::optional<uint32_t> version;
  ASSERT_TRUE((*env)->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(version, tables::schema_version(txn));
    return ok_status();
  }));
  EXPECT_EQ(version, 0u);
}

TEST(StoreTest, ADamagedSchemaRecordIsCorrupt) {
  TempDir dir;
  {
    auto env = open_store(store_options(dir.sub("store")));
    ASSERT_TRUE(env.has_value());
    ASSERT_TRUE(
        (*env)->write([](WriteTxn& txn) { return txn.put(Db::kMeta, "schema_version", "\x01"); }));
  }
  auto env = open_store(store_options(dir.sub("store"), false));
  ASSERT_FALSE(env.has_value());
  EXPECT_EQ(env.error().code, ErrorCode::kCorrupt);
}

TEST(StoreTest, ASchemaVersionBeyondThirtyTwoBitsIsCorruptNotTruncated) {
  TempDir dir;
  {
    auto env = open_store(store_options(dir.sub("store")));
    ASSERT_TRUE(env.has_value());
    // 2^32 + 1 would read as version 1 if truncated.
    std::string huge = RecordWriter(1).u64((uint64_t{1} << 32) + 1).take();
    ASSERT_TRUE(
        (*env)->write([&](WriteTxn& txn) { return txn.put(Db::kMeta, "schema_version", huge); }));
  }
  auto env = open_store(store_options(dir.sub("store"), false));
  ASSERT_FALSE(env.has_value());
  EXPECT_EQ(env.error().code, ErrorCode::kCorrupt);
}

// Counts keys of the customers table.
uint64_t count_keys(const LmdbEnv& env) {
  uint64_t n = 0;
  Status s = env.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(n, txn.count(Db::kCustomers));
    return ok_status();
  });
  EXPECT_TRUE(s.has_value());
  return n;
}

TEST(StoreTest, AFullMapFailsTheWholeTransactionAndTheStoreKeepsWorking) {
  TempDir dir;
  LmdbOptions options = store_options(dir.sub("store"));
  options.map_size = 1u << 20;
  options.sync = false;
  auto opened = open_store(options);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  LmdbEnv& env = **opened;

  constexpr int kPerTxn = 8;
  const std::string value(1000, 'v');
  int committed = 0;  // keys [0, committed) are stored
  Status failure;
  for (int txn_no = 0; txn_no < 10000 && failure; ++txn_no) {
    failure = env.write([&](WriteTxn& txn) -> Status {
      for (int i = 0; i < kPerTxn; ++i)
        SENDPOOL_TRY(txn.put(Db::kCustomers, key_of(committed + i), value));
      return ok_status();
    });
    if (failure) committed += kPerTxn;
  }
  ASSERT_FALSE(failure.has_value()) << "a 1 MiB map never filled";
  EXPECT_EQ(failure.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(failure.error().message.find("the store is full"), std::string::npos)
      << failure.error().message;
  ASSERT_GT(committed, 0);

  // Nothing of the failed transaction is there, everything before it is.
  EXPECT_EQ(count_keys(env), static_cast<uint64_t>(committed));
  ASSERT_TRUE(env.read([&](const ReadTxn& txn) -> Status {
    for (int i = 0; i < kPerTxn; ++i) {
      SENDPOOL_ASSIGN_OR_RETURN(auto v, txn.get(Db::kCustomers, key_of(committed + i)));
      EXPECT_FALSE(v.has_value()) << key_of(committed + i);
    }
    SENDPOOL_ASSIGN_OR_RETURN(auto last, txn.get(Db::kCustomers, key_of(committed - 1)));
    EXPECT_EQ(last, value);
    return ok_status();
  }));

  // Still full for big writes, still usable after making room.
  Status deleted = env.write([&](WriteTxn& txn) -> Status {
    for (int i = 0; i < committed / 2; ++i)
      SENDPOOL_TRY(txn.del(Db::kCustomers, key_of(i)));
    return ok_status();
  });
  ASSERT_TRUE(deleted.has_value()) << deleted.error().message;
  Status small = env.write([&](WriteTxn& txn) { return txn.put(Db::kCustomers, "small", "x"); });
  ASSERT_TRUE(small.has_value()) << small.error().message;
  EXPECT_EQ(count_keys(env), static_cast<uint64_t>(committed - committed / 2 + 1));
}

TEST(StoreTest, AMapGrownByAnotherProcessIsAdoptedAndTheStoreKeepsWorking) {
  TempDir dir;
  LmdbOptions small = store_options(dir.sub("store"));
  small.map_size = 1u << 20;
  auto opened = open_store(small);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  LmdbEnv& env = **opened;
  ASSERT_TRUE(env.write([](WriteTxn& txn) { return txn.put(Db::kCustomers, "before", "1"); }));
  const uint64_t small_size = env.map_size();

  // The other process opens with a larger map and writes more than the small map can hold.
  constexpr int kKeys = 3000;  // 3000 x 1000 bytes: about 3 MiB
  ChildProcess grower([&] {
    LmdbOptions big = store_options(dir.sub("store"), false);
    big.map_size = 8u << 20;
    auto child_env = LmdbEnv::open(big);
    if (!child_env) return 1;
    const std::string value(1000, 'g');
    for (int start = 0; start < kKeys; start += 500) {
      Status s = (*child_env)->write([&](WriteTxn& txn) -> Status {
        for (int i = start; i < start + 500; ++i)
          SENDPOOL_TRY(txn.put(Db::kCustomers, key_of(i), value));
        return ok_status();
      });
      if (!s) return 2;
    }
    return 0;
  });
  ASSERT_EQ(grower.wait(std::chrono::seconds(20)), 0);

  // This process adopts the new size on its next transaction and sees everything.
  uint64_t seen = 0;
  Status r = env.read([&](const ReadTxn& txn) -> Status {
    return txn.scan(Db::kCustomers, "key-", [&](std::string_view, std::string_view v) {
      if (v.size() == 1000) ++seen;
      return true;
    });
  });
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(seen, static_cast<uint64_t>(kKeys));
  EXPECT_GT(env.map_size(), small_size);
  EXPECT_EQ(env.map_size(), 8u << 20);

  // And it can write beyond its original size.
  const std::string value(1000, 'p');
  Status w = env.write([&](WriteTxn& txn) -> Status {
    for (int i = 0; i < 500; ++i)
      SENDPOOL_TRY(txn.put(Db::kCustomers, "mine-" + key_of(i), value));
    return ok_status();
  });
  ASSERT_TRUE(w.has_value()) << w.error().message;
  EXPECT_EQ(count_keys(env), static_cast<uint64_t>(kKeys + 500 + 1));
}

TEST(StoreTest, AWriterAfterAnotherProcessGrewTheMapAdoptsItToo) {
  TempDir dir;
  LmdbOptions small = store_options(dir.sub("store"));
  small.map_size = 1u << 20;
  auto opened = open_store(small);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  LmdbEnv& env = **opened;

  ChildProcess grower([&] {
    LmdbOptions big = store_options(dir.sub("store"), false);
    big.map_size = 8u << 20;
    auto child_env = LmdbEnv::open(big);
    if (!child_env) return 1;
    const std::string value(1000, 'g');
    Status s = (*child_env)->write([&](WriteTxn& txn) -> Status {
      for (int i = 0; i < 2000; ++i)
        SENDPOOL_TRY(txn.put(Db::kCustomers, key_of(i), value));
      return ok_status();
    });
    return s ? 0 : 2;
  });
  ASSERT_EQ(grower.wait(std::chrono::seconds(20)), 0);

  // The first thing this process does is write: the write transaction adopts the size.
  Status w = env.write([](WriteTxn& txn) { return txn.put(Db::kCustomers, "after", "1"); });
  ASSERT_TRUE(w.has_value()) << w.error().message;
  EXPECT_EQ(env.map_size(), 8u << 20);
  EXPECT_EQ(count_keys(env), 2001u);
}

}  // namespace
}  // namespace sendpool
