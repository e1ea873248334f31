#include "core/store/standing_records.h"

#include <fmt/format.h>

#include "core/store/codec.h"
#include "core/store/records.h"

namespace sendpool {

std::string encode(const PoolMove& v) {
  return RecordWriter(kRecordVersion)
      .i64(v.time.time_since_epoch().count())
      .u64(static_cast<uint64_t>(v.kind))
      .str(v.from)
      .str(v.to)
      .f64(v.score)
      .str(v.reason)
      .take();
}

Result<PoolMove> decode_pool_move(std::string_view bytes) {
  RecordReader r(bytes);
  PoolMove v;
  v.time = TimePoint{std::chrono::seconds{r.i64()}};
  uint64_t kind = r.u64();
  v.kind = static_cast<StandingEventKind>(kind);
  v.from = r.str();
  v.to = r.str();
  v.score = r.f64();
  v.reason = r.str();
  if (r.version() > kRecordVersion)
    return make_error(ErrorCode::kSchemaTooNew,
                      fmt::format("pool move record has version {}, newer than this sendpool ({})",
                                  r.version(), kRecordVersion));
  if (r.version() == 0 || !r.finished() || kind > 1)
    return make_error(ErrorCode::kCorrupt, "pool move record is damaged");
  return v;
}

std::string pool_move_key(AccountId account, int64_t seconds) {
  return be64(account) + be64(static_cast<uint64_t>(seconds));
}

std::string pool_move_prefix(AccountId account) {
  return be64(account);
}

}  // namespace sendpool
