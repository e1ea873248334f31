// Opening the store: the LMDB environment plus the schema version check.
//
// Every program opens the store through open_store(), which refuses a store written by a
// newer sendpool (kSchemaTooNew, naming both versions) and stamps the schema version on a
// store it creates. Thread-safety: the returned environment is shared by all threads.
#pragma once

#include <memory>

#include "core/base/result.h"
#include "core/store/lmdb_env.h"

namespace sendpool {

Result<std::unique_ptr<LmdbEnv>> open_store(const LmdbOptions& options);

}  // namespace sendpool
