// Loading the platform's signing settings (its DKIM key, return-path secret) from the
// configuration, for the milter's start-up and --check-config.
// Thread-safety: called once from main.
#pragma once

#include "core/base/result.h"
#include "core/daemon/config.h"
#include "milter/session.h"

namespace sendpool::milter {

// Every platform.* key the milter needs, read and checked; errors name file and key.
Result<PlatformSettings> load_platform_settings(const Config& config);

}  // namespace sendpool::milter
