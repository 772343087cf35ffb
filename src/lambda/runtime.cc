#include "lambda/runtime.h"

#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

#include "aws/http.h"
#include "util/clock.h"

namespace barrage::lambda {

Result<int64_t> parse_deadline(std::string_view value, int64_t now_wall_ms) {
  if (value.empty()) {
    return fail("no Lambda-Runtime-Deadline-Ms header");
  }
  int64_t ms = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (ec != std::errc() || end != value.data() + value.size()) {
    return fail("Lambda-Runtime-Deadline-Ms '" + std::string(value) + "' is not a number");
  }
  if (ms <= now_wall_ms) {
    return fail("Lambda-Runtime-Deadline-Ms " + std::to_string(ms) + " is " +
                std::to_string(now_wall_ms - ms) + " ms in the past");
  }
  constexpr int64_t kSlackMs = 60'000;
  if (ms - now_wall_ms > kMaxInvocationMs + kSlackMs) {
    return fail("Lambda-Runtime-Deadline-Ms " + std::to_string(ms) + " is " +
                std::to_string((ms - now_wall_ms) / 1000) +
                " s ahead, beyond Lambda's 15-minute limit");
  }
  return ms;
}

std::string error_body(std::string_view type, std::string_view message) {
  const nlohmann::json j{{"errorMessage", std::string(message)}, {"errorType", std::string(type)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

RuntimeClient::RuntimeClient(const std::string& api, std::shared_ptr<aws::Transport> transport,
                             const Clock& clock)
    : base_("http://" + api + "/2018-06-01/runtime"),
      transport_(transport ? std::move(transport) : aws::make_curl_transport()),
      clock_(&clock) {}

Invocation RuntimeClient::next() {
  aws::HttpRequest req;
  req.method = "GET";
  req.url = base_ + "/invocation/next";
  req.timeout = std::chrono::milliseconds(0);  // long poll: no limit
  const aws::HttpResponse res = transport_->send(req);
  if (res.status == 0) throw RuntimeApiError("Runtime API unreachable: " + res.error);
  if (res.status != 200) {
    throw RuntimeApiError("Runtime API /invocation/next answered " + std::to_string(res.status) +
                          ": " + res.body.substr(0, 200));
  }
  Invocation inv;
  inv.request_id = std::string(res.header("Lambda-Runtime-Aws-Request-Id"));
  if (inv.request_id.empty())
    throw RuntimeApiError("Runtime API /invocation/next sent no Lambda-Runtime-Aws-Request-Id");
  inv.body = res.body;
  if (auto deadline = parse_deadline(res.header("Lambda-Runtime-Deadline-Ms"), clock_->wall_ms())) {
    inv.deadline_wall_ms = *deadline;
  } else {
    inv.deadline_problem = deadline.error().message;
  }
  inv.function_arn = std::string(res.header("Lambda-Runtime-Invoked-Function-Arn"));
  inv.trace_id = std::string(res.header("Lambda-Runtime-Trace-Id"));
  return inv;
}

void RuntimeClient::post(const std::string& path, const std::string& body,
                         std::string_view error_type) {
  aws::HttpRequest req;
  req.method = "POST";
  req.url = base_ + path;
  req.body = body;
  req.headers.push_back({"Content-Type", "application/json"});
  if (!error_type.empty())
    req.headers.push_back({"Lambda-Runtime-Function-Error-Type", std::string(error_type)});
  req.timeout = std::chrono::milliseconds(10'000);
  const aws::HttpResponse res = transport_->send(req);
  if (res.status == 0) throw RuntimeApiError("Runtime API unreachable: " + res.error);
  if (res.status != 202) {
    throw RuntimeApiError("Runtime API " + path + " answered " + std::to_string(res.status) + ": " +
                          res.body.substr(0, 200));
  }
}

void RuntimeClient::post_response(const std::string& request_id, const std::string& body) {
  post("/invocation/" + request_id + "/response", body, {});
}

void RuntimeClient::post_error(const std::string& request_id, std::string_view type,
                               std::string_view message) {
  post("/invocation/" + request_id + "/error", error_body(type, message), type);
}

void RuntimeClient::post_init_error(std::string_view type, std::string_view message) {
  post("/init/error", error_body(type, message), type);
}

}  // namespace barrage::lambda
