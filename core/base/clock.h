// Clock: the one way sendpool code asks what time it is.
//
// Everything that depends on time (billing periods, prepaid expiry, rate windows, reputation
// windows) takes a Clock so tests and what-if queries can move time. Times are UTC seconds.
// Thread-safety: SystemClock and FixedClock are immutable; ManualClock is not synchronised.
#pragma once

#include <chrono>

namespace sendpool {

using TimePoint = std::chrono::sys_seconds;
using Date = std::chrono::sys_days;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// The machine's clock.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  }
};

// A clock stopped at one instant: for "what if it were then" questions and for tests.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint at) : at_(at) {}
  TimePoint now() const override { return at_; }

 private:
  TimePoint at_;
};

// A clock a test moves by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint at) : at_(at) {}
  TimePoint now() const override { return at_; }
  void set(TimePoint at) { at_ = at; }
  void advance(std::chrono::seconds by) { at_ += by; }

 private:
  TimePoint at_;
};

}  // namespace sendpool
