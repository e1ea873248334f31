#include "core/store/store.h"

#include <fmt/format.h>

#include "core/store/tables.h"

namespace sendpool {

Result<std::unique_ptr<LmdbEnv>> open_store(const LmdbOptions& options) {
  SENDPOOL_ASSIGN_OR_RETURN(auto env, LmdbEnv::open(options));
  std::optional<uint32_t> version;
  SENDPOOL_TRY(env->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(version, tables::schema_version(txn));
    return ok_status();
  }));
  if (version && *version > tables::kSchemaVersion)
    return make_error(ErrorCode::kSchemaTooNew,
                      fmt::format("the store at {} has schema version {}, newer than this "
                                  "sendpool understands ({}): upgrade sendpool",
                                  options.path, *version, tables::kSchemaVersion));
  if (!version) {
    SENDPOOL_TRY(env->write([](WriteTxn& txn) -> Status {
      // Another process may have stamped it meanwhile; only the first writer does.
      SENDPOOL_ASSIGN_OR_RETURN(auto current, tables::schema_version(txn));
      if (current) return ok_status();
      return tables::set_schema_version(txn, tables::kSchemaVersion);
    }));
  }
  return env;
}

}  // namespace sendpool
