// sendpool-milter: domain authorisation, silent suppression, the signed return path and the
// two DKIM signatures (see sendpool-milter(8)). main() only wires the parts together.
#include "core/daemon/daemon_main.h"
#include "core/store/store.h"
#include "milter/dkim_signer.h"
#include "milter/libmilter_glue.h"
#include "milter/platform_keys.h"

int main(int argc, char** argv) {
  using namespace sendpool;
  constexpr const char* kProgram = "sendpool-milter";
  auto parsed = parse_daemon_flags(argc, argv, kProgram, {});
  if (parsed.exit_code >= 0) return parsed.exit_code;
  auto loaded = load_daemon_config(parsed.flags, kProgram, [](const Config& c) -> Status {
    SENDPOOL_TRY(milter::load_platform_settings(c));
    return ok_status();
  });
  if (loaded.exit_code >= 0) return loaded.exit_code;
  const Config& config = loaded.config;

  Logger log(kProgram, true, parsed.flags.foreground, log_level_from(config));
  auto platform = milter::load_platform_settings(config);
  auto env = open_store(LmdbOptions{config.store, config.store_map_size, false, true, 1024});
  if (!env) {
    log.error("{}", env.error().message);
    return kExitTempFail;
  }
  auto signer = milter::DkimSignerFactory::create();
  if (!signer) {
    log.error("{}", signer.error().message);
    return kExitSoftware;
  }
  milter::StoreCatalog catalog(**env);
  SystemClock clock;
  milter::MilterRuntime runtime{catalog, **signer, *platform, clock, log};
  if (Status s = milter::run_milter(config.milter.listen, runtime); !s) {
    log.error("{}", s.error().message);
    return kExitSoftware;
  }
  return 0;
}
