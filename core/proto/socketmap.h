// Postfix socketmap lookups (socketmap_table(5)): the payloads inside the netstrings.
//
// A request payload is `NAME KEY`: the map name configured in `socketmap:...:NAME`, one space,
// then the lookup key exactly as Postfix sends it (full address, `*`, `<>`; case unchanged, may
// contain spaces). A reply payload is `OK <data>`, `NOTFOUND ` (the trailing space is part of the
// protocol), `TEMP <reason>` or `PERM <reason>`. The functions here build and read payloads
// only; the caller frames them with netstring.h.
//
// Thread-safety: pure functions.
// Security: requests come from Postfix over a socket; the netstring parser bounds their size.
// The map name is restricted to [A-Za-z0-9_.-]; a key must be non-empty and free of NUL bytes
// (Postfix keys are C strings, so a NUL means a forged request). Error messages never repeat
// the input. Reasons are sent back to Postfix, which logs them: CR, LF and NUL become ' '.
// TEMP and PERM defer the mail being routed, so callers answer them only on real failures.
#pragma once

#include <string>
#include <string_view>

#include "core/base/result.h"

namespace sendpool {

struct SocketmapRequest {
  std::string name;  // the map name, e.g. "transport"
  std::string key;   // the lookup key, unchanged

  bool operator==(const SocketmapRequest&) const = default;
};

// Splits a request payload `NAME KEY` at its first space; kInvalidArgument says what is wrong.
Result<SocketmapRequest> parse_socketmap_request(std::string_view payload);

// "OK <data>": found. `data` is sent as given (the caller supplies a transport or table value).
std::string socketmap_ok(std::string_view data);
// "NOTFOUND " with its trailing space: Postfix goes on to the next table.
std::string socketmap_notfound();
// "TEMP <reason>": a lookup error; Postfix defers the recipient.
std::string socketmap_temp(std::string_view reason);
// "PERM <reason>": a lookup error that retrying will not fix; Postfix still defers.
std::string socketmap_perm(std::string_view reason);

}  // namespace sendpool
