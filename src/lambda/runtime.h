// A client for the Lambda Runtime API (the custom-runtime interface at
// $AWS_LAMBDA_RUNTIME_API, "host:port"): wait for the next invocation, post
// its response or error, report an init error. One thread; the long poll on
// /next has no timeout, as Lambda freezes the sandbox while it waits.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "util/clock.h"
#include "util/error.h"

namespace barrage::aws {
class Transport;
}

namespace barrage::lambda {

// The Runtime API did not answer, or answered with an unexpected status.
class RuntimeApiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Lambda bills and kills by this: 15 minutes is the longest timeout.
inline constexpr int64_t kMaxInvocationMs = 15 * 60 * 1000;

struct Invocation {
  std::string request_id;  // Lambda-Runtime-Aws-Request-Id
  std::string body;        // the event (for barrage: a WorkerJob JSON)
  // Lambda-Runtime-Deadline-Ms (wall ms since the epoch); nullopt when absent,
  // unparsable, in the past or absurdly far ahead (see parse_deadline).
  std::optional<int64_t> deadline_wall_ms;
  std::string deadline_problem;  // why the header's value was not used ("" if it was)
  std::string function_arn;      // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;          // Lambda-Runtime-Trace-Id
};

// The deadline header's value if it is a plausible deadline: an integer of
// ms since the epoch after now and at most kMaxInvocationMs + 60 s ahead.
// Otherwise an Error saying why.
Result<int64_t> parse_deadline(std::string_view value, int64_t now_wall_ms);

// {"errorMessage": ..., "errorType": ...}
std::string error_body(std::string_view type, std::string_view message);

class RuntimeClient {
 public:
  // api: "host:port" (AWS_LAMBDA_RUNTIME_API). transport: null for libcurl.
  // clock: what the deadline header is checked against.
  explicit RuntimeClient(const std::string& api,
                         std::shared_ptr<aws::Transport> transport = nullptr,
                         const Clock& clock = system_clock());

  // Blocks until Lambda hands out an invocation. Throws RuntimeApiError.
  Invocation next();
  // Throw RuntimeApiError unless the API accepts (202).
  void post_response(const std::string& request_id, const std::string& body);
  void post_error(const std::string& request_id, std::string_view type, std::string_view message);
  void post_init_error(std::string_view type, std::string_view message);

 private:
  void post(const std::string& path, const std::string& body, std::string_view error_type);

  std::string base_;  // http://host:port/2018-06-01/runtime
  std::shared_ptr<aws::Transport> transport_;
  const Clock* clock_;
};

}  // namespace barrage::lambda
