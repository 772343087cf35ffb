// barrage's one error type.
//
// A function that can fail returns barrage::Result<T> (std::expected<T,
// Error>), or barrage::Status when there is no value. An Error carries the
// message and, where there is one, the place it points at: the file and the
// 1-based line and column (0 = unknown). `code` is a stable, machine-readable
// kind ("AccessDenied", "NotFound", "io", ...; "" when there is none) and
// `status` the HTTP status of a failed service call (0 = none), so callers
// branch on data, not on message text.
//
// Exceptions stay inside a library (a recursive parser unwinding to its entry
// point); what crosses a library's public API is a Result. std::bad_alloc is
// the one exception anything may still throw.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace barrage {

struct Error {
  std::string message;
  std::string file;  // "" when the error has no place
  int line = 0;      // 1-based; 0 = unknown
  int column = 0;    // 1-based; 0 = unknown
  std::string code;  // machine-readable kind; "" = none
  int status = 0;    // HTTP status of a failed service call; 0 = none

  // An error at file:line:col.
  static Error at(std::string file, int line, int column, std::string message);

  // "file:line:col: message", "file: message" (no line) or "message".
  [[nodiscard]] std::string describe() const;

  // The same error with `context` put in front of the message
  // ("loading payload: <message>"); the place and code are kept.
  [[nodiscard]] Error with_context(const std::string& context) const;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

// `return fail("no such run");` / `return fail(Error::at(...));`
inline std::unexpected<Error> fail(Error error) { return std::unexpected<Error>(std::move(error)); }
inline std::unexpected<Error> fail(std::string message) {
  Error error;
  error.message = std::move(message);
  return std::unexpected<Error>(std::move(error));
}

}  // namespace barrage
