// Errors as values. No exceptions cross module boundaries: every fallible call returns
// a Status or a Result<T>. Codes map one-to-one onto the DynamoDB error families the API
// layer reports, plus the storage failures LevelDB-style code expects.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace meridian {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kInvalidArgument,  // -> ValidationException
    kNotFound,         // -> ResourceNotFoundException (tables)
    kResourceInUse,    // -> ResourceInUseException
    kConditionFailed,  // -> ConditionalCheckFailedException
    kLimitExceeded,    // -> LimitExceededException
    kCorruption,       // stored data could not be decoded
    kIOError,          // storage or network failure
    kInternal,         // invariant broken in a recoverable place
    kConflict,         // -> TransactionConflict: the item is not available to a transaction now
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status ResourceInUse(std::string msg) { return {Code::kResourceInUse, std::move(msg)}; }
  static Status ConditionFailed(std::string msg) {
    return {Code::kConditionFailed, std::move(msg)};
  }
  static Status LimitExceeded(std::string msg) { return {Code::kLimitExceeded, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {Code::kConflict, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-OK Status.
// REQUIRES: value() only when ok(); status() is Ok() when a value is held.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace meridian

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define MERIDIAN_RETURN_IF_ERROR(expr) \
  do {                                 \
    ::meridian::Status _st = (expr);   \
    if (!_st.ok()) return _st;         \
  } while (0)
