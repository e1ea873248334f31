// Result<T> and Status: how expected failures travel without exceptions.
//
// Shaped like C++23 std::expected so the code reads the same once the toolchain has it.
// A Result holds either a value or an Error (a code plus a human message that is safe to
// show an operator). Lookups that may find nothing return Result<std::optional<T>>:
// absence is not an error. Thread-safety: value types, no shared state.
#pragma once

#include <cassert>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sendpool {

// What went wrong, coarse enough for callers to decide (retry, refuse, report).
enum class ErrorCode {
  kInvalidArgument,  // the caller's input is malformed
  kNotFound,         // a named thing does not exist where one is required
  kAlreadyExists,    // creating something that exists
  kRefused,          // well-formed, but a rule of the model forbids it
  kCorrupt,          // stored or received bytes do not decode
  kSchemaTooNew,     // the store was written by a newer sendpool
  kUnavailable,      // transient: busy, locked, map full; retrying later may work
  kIo,               // the operating system said no
  kInternal,         // a bug or an unexpected library failure
};

// A short stable name for an error code ("invalid-argument").
const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

// The error half of a Result, so `return Unexpected(...)` reads like std::unexpected.
inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return checked_value(); }
  const T& value() const& { return const_cast<Result*>(this)->checked_value(); }
  T&& value() && { return std::move(checked_value()); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    if (has_value()) std::abort();  // broken invariant: asked for the error of a success
    return std::get<1>(v_);
  }

 private:
  T& checked_value() {
    if (!has_value()) std::abort();  // broken invariant: used a failed result as a value
    return std::get<0>(v_);
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const Error& error() const {
    if (!error_) std::abort();
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status ok_status() {
  return Status();
}

}  // namespace sendpool

// Propagates the error of a Result-returning expression, otherwise yields nothing.
// (The temporary is named after the line so nested uses inside lambdas do not shadow.)
#define SENDPOOL_TRY(expr) SENDPOOL_TRY_IMPL_(SENDPOOL_CONCAT_(sendpool_try_, __LINE__), expr)
#define SENDPOOL_TRY_IMPL_(tmp, expr) \
  do {                                \
    auto tmp = (expr);                \
    if (!tmp) return tmp.error();     \
  } while (0)

// Evaluates a Result<T> expression and binds its value to `lhs`, or returns its error.
#define SENDPOOL_ASSIGN_OR_RETURN(lhs, expr) \
  SENDPOOL_ASSIGN_OR_RETURN_IMPL_(SENDPOOL_CONCAT_(sendpool_r_, __LINE__), lhs, expr)
#define SENDPOOL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp) return tmp.error();                         \
  lhs = std::move(tmp).value()
#define SENDPOOL_CONCAT_(a, b) SENDPOOL_CONCAT_INNER_(a, b)
#define SENDPOOL_CONCAT_INNER_(a, b) a##b
