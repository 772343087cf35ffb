// How the aws library's public functions return their errors: a Result whose
// Error has the AWS error code ("AccessDenied", "QueueDoesNotExist", ...; ""
// for a transport failure), the HTTP status (0 = transport) and, as message,
// describe_error's text (the same text AwsError::what() gives).
//
// Inside the library an operation is a sequence of calls (multipart uploads,
// paging, waiting for a function) and response parsers, which unwind with
// AwsError; `guarded` is the boundary that turns it into the returned Error, so
// AwsError never leaves a public function of a client.
#pragma once

#include <type_traits>
#include <utility>

#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/errors.h"
#include "util/error.h"

namespace barrage::aws {

// The Error of a CredentialsError (code "CredentialsError", status 0).
Error credentials_error(const CredentialsError& e);

// Throws what the Error came from: CredentialsError for code
// "CredentialsError", else AwsError (message, status and code kept).
[[noreturn]] void throw_error(const Error& error);

// The value, or throw_error: for code that unwinds on a failed call (inside
// this library; the lambda library's resource code until it returns Results
// itself).
template <class T>
T value_or_throw(Result<T>&& r) {
  if (!r) throw_error(r.error());
  return std::move(*r);
}
inline void value_or_throw(Status&& r) {
  if (!r) throw_error(r.error());
}

namespace detail {

// ServiceClient::call, unwinding with AwsError on failure.
inline HttpResponse call_or_throw(ServiceClient& client, const ServiceRequest& request) {
  return value_or_throw(client.call(request));
}

// Runs `body`, returning its value, or the Error of the AwsError or
// CredentialsError it throws.
template <class F>
auto guarded(F&& body) -> Result<std::invoke_result_t<F>> {
  using T = std::invoke_result_t<F>;
  try {
    if constexpr (std::is_void_v<T>) {
      body();
      return {};
    } else {
      return body();
    }
  } catch (const AwsError& e) {
    return fail(e.error());
  } catch (const CredentialsError& e) {
    return fail(credentials_error(e));
  }
}

}  // namespace detail
}  // namespace barrage::aws
