// The libmilter side of sendpool-milter: registration, the callback thunks, the main loop.
// The only code that includes <libmilter/mfapi.h>.
//
// Each thunk finds the connection's Session through smfi_getpriv (libmilter's worker pool moves
// a connection between threads, so nothing lives in thread-local storage), calls it, and
// turns its Reply into a libmilter status. Thunks are noexcept: an exception is logged and
// becomes a temporary failure. libmilter's C API offers no user pointer for the callbacks, so
// the runtime is reached through one file-local pointer set by run_milter() before
// smfi_main() and never changed afterwards.
// Security: talks to the MTA (Postfix or Sendmail) on the configured socket; message content
// is untrusted and handled by Session's bounded parsers.
// Thread-safety: callbacks run on libmilter's worker threads.
#pragma once

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/daemon/listen_spec.h"
#include "milter/catalog.h"
#include "milter/session.h"
#include "milter/signer.h"

namespace sendpool::milter {

struct MilterRuntime {
  Catalog& catalog;
  SignerFactory& signer;
  const PlatformSettings& platform;
  const Clock& clock;
  const Logger& log;
};

// libmilter's spelling of a listen spec: "inet:port@host" or "unix:/path".
std::string libmilter_socket_spec(const ListenSpec& spec);

// Registers the filter, listens on `listen` and runs until SIGTERM/SIGHUP (libmilter's own
// signal thread). Returns an error when registration or the socket fails.
Status run_milter(const ListenSpec& listen, MilterRuntime& runtime);

}  // namespace sendpool::milter
