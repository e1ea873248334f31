#include "core/model/rate_window.h"

namespace sendpool {
namespace {

int64_t minute_of(TimePoint t) {
  return t.time_since_epoch().count() / 60;
}

}  // namespace

void HourlyWindow::add(AccountId account, TimePoint now, uint64_t n) {
  Buckets& b = accounts_[account];
  int64_t m = minute_of(now);
  size_t i = static_cast<size_t>(m % kBuckets);
  if (b.minute[i] != m) {
    b.minute[i] = m;
    b.count[i] = 0;
  }
  b.count[i] += n;
}

uint64_t HourlyWindow::count(AccountId account, TimePoint now) const {
  auto it = accounts_.find(account);
  if (it == accounts_.end()) return 0;
  int64_t m = minute_of(now);
  uint64_t total = 0;
  for (int i = 0; i < kBuckets; ++i)
    if (m - it->second.minute[i] < kBuckets && it->second.minute[i] <= m)
      total += it->second.count[i];
  return total;
}

std::optional<TimePoint> HourlyWindow::next_free(AccountId account, TimePoint now,
                                                 uint64_t limit) const {
  uint64_t total = count(account, now);
  if (total < limit) return std::nullopt;
  const Buckets& b = accounts_.at(account);
  int64_t m = minute_of(now);
  // Walk the minutes from the oldest; each one leaves the window 60 minutes after it began.
  for (int64_t age = kBuckets - 1; age >= 0; --age) {
    int64_t minute = m - age;
    size_t i = static_cast<size_t>(((minute % kBuckets) + kBuckets) % kBuckets);
    if (b.minute[i] == minute) total -= b.count[i];
    if (total < limit) return TimePoint{std::chrono::seconds{(minute + kBuckets) * 60}};
  }
  return TimePoint{std::chrono::seconds{(m + 1) * 60}};
}

void HourlyWindow::prune(TimePoint now) {
  for (auto it = accounts_.begin(); it != accounts_.end();) {
    if (count(it->first, now) == 0)
      it = accounts_.erase(it);
    else
      ++it;
  }
}

}  // namespace sendpool
