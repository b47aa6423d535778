// Expected failures as values. Every front door maps a StatusCode the same way (docs/cli.md):
// the CLI to an exit code, the HTTP server to a status, JSON to an "error" field.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace gtops {

enum class StatusCode {
  kOk = 0,
  kBadInput,    // a record or input file breaks FORMAT.md (the good records may still be stored)
  kBadConfig,   // gtops.toml is missing or invalid
  kStoreError,  // the store cannot be opened, is of a newer version, or a write failed
  kGateFailed,  // a quality gate failed with confidence
  kUsage,       // the command line is wrong (unknown flag, missing argument, read-only violation)
  kNotFound,    // a named thing (file, pipeline, ...) does not exist
  kInternal,    // a bug: should never be seen
};

// Short lower-case name of a code ("bad_input", ...), used in JSON output.
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status BadInput(std::string m) { return {StatusCode::kBadInput, std::move(m)}; }
  static Status BadConfig(std::string m) { return {StatusCode::kBadConfig, std::move(m)}; }
  static Status StoreError(std::string m) { return {StatusCode::kStoreError, std::move(m)}; }
  static Status Usage(std::string m) { return {StatusCode::kUsage, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                 // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}          // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace gtops

#define GTOPS_RETURN_IF_ERROR(expr)          \
  do {                                       \
    ::gtops::Status gtops_status_ = (expr);  \
    if (!gtops_status_.ok()) return gtops_status_; \
  } while (0)
