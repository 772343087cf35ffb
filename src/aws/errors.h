// AWS error responses turned into clear messages, and which of them are worth
// retrying. Parses the XML form (<Error><Code>..</Code><Message>..</Message>,
// also wrapped in <ErrorResponse> or <Response><Errors>) used by S3, IAM and
// STS, and the JSON form ({"__type": "...#Code", "message": "..."}, or the
// X-Amzn-ErrorType header) used by SQS's JSON 1.0 protocol and Lambda.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4.h"
#include "util/error.h"

namespace barrage::aws {

struct ErrorInfo {
  std::string code;     // "AccessDenied", "QueueDoesNotExist", ... ("" if unknown)
  std::string message;  // the service's message ("" if none)
  std::string request_id;
};

// Never throws; unknown or malformed bodies give a code derived from the
// status (403 -> AccessDenied, 404 -> NotFound, ...).
ErrorInfo parse_error_response(int status, std::string_view body,
                               const std::vector<Header>& headers);

// Throttling codes (Throttling, ThrottlingException, TooManyRequestsException,
// RequestLimitExceeded, SlowDown, ...), 429 and 5xx.
bool is_retryable_error(int status, std::string_view code);
bool is_throttling_code(std::string_view code);
bool is_access_denied_code(std::string_view code);

class AwsError : public std::runtime_error {
 public:
  AwsError(const std::string& what, int status, std::string code)
      : std::runtime_error(what), status_(status), code_(std::move(code)) {}
  // From the Error a client function returned (what() is its message).
  explicit AwsError(const Error& error) : AwsError(error.message, error.status, error.code) {}
  // HTTP status, 0 for a transport failure.
  int status() const { return status_; }
  const std::string& code() const { return code_; }
  // As the clients return it: message what(), code and status.
  [[nodiscard]] Error error() const;

 private:
  int status_;
  std::string code_;
};

// Throws AwsError (code "MalformedResponse") for a 2xx body that does not
// parse as the operation's response.
[[noreturn]] void throw_malformed(std::string_view service, std::string_view operation,
                                  std::string_view detail);

// "S3 PutObject on runs/x: AccessDenied (HTTP 403): <message>. barrage needs
// s3:PutObject here; `barrage lambda policy` prints the IAM policy to attach."
std::string describe_error(std::string_view service, std::string_view operation,
                           std::string_view iam_action, int status, const ErrorInfo& info);

}  // namespace barrage::aws
